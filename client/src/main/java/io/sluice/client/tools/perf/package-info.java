/** {@code sluice-perf}: producer and consumer throughput and latency, measured with HdrHistogram. */
package io.sluice.client.tools.perf;
