package io.sluice.client.producer;

import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.client.ClientConfig;
import io.sluice.client.Futures;
import io.sluice.client.SluiceClient;
import io.sluice.client.errors.InterruptException;
import io.sluice.client.errors.RecordTooLargeException;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.metadata.Cluster;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.client.network.ConnectionConfig;
import io.sluice.proto.record.Header;
import io.sluice.proto.record.RecordBatch;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Sends records to Sluice, Kafka-style: records are appended to per-partition batches in pooled direct buffers
 * (batch.size, linger.ms), and a sender on the client's I/O thread ships ready batches, one ProduceRequest per
 * leader. With idempotence (the default, with acks=all) a retried batch is the same bytes with the same sequence,
 * and per-partition order holds. {@code buffer.memory} bounds the memory held; {@code send} blocks up to
 * {@code max.block.ms} when it is used up, and for the first metadata of a topic.
 *
 * <pre>
 * try (Producer producer = Producer.create(Map.of("bootstrap.servers", "127.0.0.1:9292"))) {
 *     producer.send("orders", key, value).thenAccept(md -&gt; ...);
 * }
 * </pre>
 *
 * <p>Thread-safe: any number of threads may send at once. Futures and callbacks complete on the client's I/O thread
 * and must not block.
 */
public final class Producer implements AutoCloseable {
    private final ProducerConfig config;
    private final SluiceClient client;
    private final RecordAccumulator accumulator;
    private final Sender sender;
    private volatile boolean closed;

    public Producer(ProducerConfig config) {
        this.config = config;
        ClientConfig clientConfig = ClientConfig.of(config.bootstrapServers()).withClientId(config.clientId())
                .withRequestTimeoutMs(config.requestTimeoutMs()).withRetryBackoffMs(config.retryBackoffMs());
        // Produce answers are small: the decoder's frame limit only needs the floor.
        ConnectionConfig connection = clientConfig.connection().withMaxInFlight(Math.max(config.maxInFlight() + 4, 16));
        this.client = new SluiceClient(clientConfig.withConnection(connection));
        this.accumulator = new RecordAccumulator(new BufferPool(config.bufferMemory(), PooledByteBufAllocator.DEFAULT),
                config.batchSize(), config.maxBlockMs());
        this.sender = new Sender(client, config, accumulator);
    }

    /** @throws IllegalArgumentException naming the key, for an unknown key or a bad value */
    public Producer(Map<String, ?> settings) {
        this(new ProducerConfig(settings));
    }

    public static Producer create(Map<String, ?> settings) {
        return new Producer(settings);
    }

    public ProducerConfig config() {
        return config;
    }

    /** Sends a record with the current time as its timestamp. */
    public CompletableFuture<RecordMetadata> send(String topic, byte[] key, byte[] value) {
        CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        try {
            append(topic, null, null, key, value, null, future);
        } catch (SluiceException e) {
            future.completeExceptionally(e);
        }
        return future;
    }

    /** Sends a record; the future completes when it is acknowledged (acks=0: when it is written to the socket). */
    public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
        CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        try {
            append(record.topic(), record.partition(), record.timestamp(), record.key(), record.value(),
                    record.headers(), future);
        } catch (SluiceException e) {
            future.completeExceptionally(e);
        }
        return future;
    }

    /** Sends a record and tells {@code callback} (on the I/O thread) when it is acknowledged or has failed. */
    public void send(ProducerRecord record, Callback callback) {
        try {
            append(record.topic(), record.partition(), record.timestamp(), record.key(), record.value(),
                    record.headers(), callback);
        } catch (SluiceException e) {
            callback.onCompletion(null, e);
        }
    }

    /** The partitions of {@code topic}, waiting up to max.block.ms for its metadata. */
    public List<PartitionInfo> partitionsFor(String topic) {
        return metadataFor(topic).partitions(topic);
    }

    private Cluster metadataFor(String topic) {
        return Futures.get(client.awaitTopics(List.of(topic), config.maxBlockMs()), config.maxBlockMs(),
                "metadata for topic " + topic);
    }

    private void append(String topic, Integer partition, Long timestamp, byte[] key, byte[] value, Header[] headers,
                        Object thunk) {
        if (closed) {
            throw new IllegalStateException("the producer is closed");
        }
        RecordAccumulator.TopicQueues tq = accumulator.topic(topic);
        if (tq == null) {
            tq = accumulator.registerTopic(topic, metadataFor(topic).partitionCount(topic));
        }
        int size = RecordBatch.HEADER_SIZE + ProducerBatch.estimateSize(key, value, headers);
        if (size > config.maxRequestSize()) {
            throw new RecordTooLargeException("a record of about " + size + " bytes (in its batch) is larger than "
                    + ProducerConfig.MAX_REQUEST_SIZE + " (" + config.maxRequestSize() + ")");
        }
        long ts = timestamp == null ? System.currentTimeMillis() : timestamp;
        int n = tq.partitions.length;
        int result;
        if (partition != null) {
            if (partition < 0 || partition >= n) {
                throw new UnknownTopicException("partition " + partition + " of topic " + topic + " does not exist ("
                        + n + " partitions)");
            }
            result = accumulator.append(tq, partition, ts, key, value, headers, thunk, false);
        } else if (key != null) {
            result = accumulator.append(tq, Partitioner.partition(key, n), ts, key, value, headers, thunk, false);
        } else {
            int sticky = tq.sticky;
            result = accumulator.append(tq, sticky, ts, key, value, headers, thunk, true);
            if (result == RecordAccumulator.ABORTED_FOR_NEW_BATCH) {
                // The sticky partition's batch is full: move on, as Kafka's sticky partitioner does.
                tq.nextSticky(sticky);
                sender.wakeup();
                result = accumulator.append(tq, tq.sticky, ts, key, value, headers, thunk, false);
            }
        }
        if (result != RecordAccumulator.APPENDED) {
            sender.wakeup();
        }
    }

    /** Sends everything buffered now, and waits until it is acknowledged or has failed. */
    public void flush() {
        sender.beginFlush();
        try {
            List<ProducerBatch> pending = accumulator.incomplete();
            CompletableFuture.allOf(pending.stream().map(b -> b.done).toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            throw new InterruptException("interrupted in flush()", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a batch's completion future failed", e);
        } finally {
            sender.endFlush();
        }
    }

    /** Sends what is buffered and waits for it (bounded by delivery.timeout.ms), then closes. */
    @Override
    public void close() {
        close(Duration.ofMillis(config.deliveryTimeoutMs()));
    }

    /**
     * Sends what is buffered and waits up to {@code timeout} for it to be acknowledged; whatever is still pending
     * then fails. {@code Duration.ZERO} fails everything pending at once.
     */
    public void close(Duration timeout) {
        if (closed) {
            return;
        }
        closed = true;
        if (!timeout.isZero()) {
            sender.beginClose();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (ProducerBatch b : accumulator.incomplete()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    b.done.get(left, TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    break;
                } catch (ExecutionException e) {
                    // done never fails
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (accumulator.hasIncomplete()) {
            sender.forceClose(new io.sluice.client.errors.TimeoutException(
                    "the producer was closed before the record was acknowledged (close timeout " + timeout.toMillis() + " ms)"));
            // Let the fail-everything task run before the connections go.
            CompletableFuture<Void> drained = new CompletableFuture<>();
            client.eventLoop().execute(() -> drained.complete(null));
            try {
                drained.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // closing anyway
            }
        }
        client.close();
    }
}
