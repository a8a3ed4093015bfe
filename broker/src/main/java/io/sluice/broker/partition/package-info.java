/**
 * The partitions this broker hosts: each {@link io.sluice.broker.partition.Partition} joins a log with
 * what replication knows of it (leader epoch, high watermark, in-sync replicas), and the
 * {@link io.sluice.broker.partition.ReplicaManager} owns them all, appends to them, reads from them, and
 * wakes the requests parked on them.
 */
package io.sluice.broker.partition;
