/**
 * Partition logs: segment files appended through a memory map and read through their file channel,
 * sparse offset and time indexes, recovery after an unclean stop, retention, and the manager that owns
 * every log of a broker. Nothing here knows about the network, requests or replication.
 */
package io.sluice.broker.log;
