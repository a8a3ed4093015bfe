package io.sluice.client.testing;

/**
 * Runs a {@link MiniBroker} until killed, printing its bootstrap address, for trying {@code sluice-perf} and the
 * client by hand without a real broker: {@code java -cp <test classpath> io.sluice.client.testing.MiniBrokerMain [--sink]}
 * ({@code --sink}: produce is answered without storing anything, to measure the producer alone).
 */
public final class MiniBrokerMain {
    private MiniBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        MiniBroker broker = new MiniBroker();
        broker.sink = args.length > 0 && args[0].equals("--sink");
        System.out.println(broker.bootstrap());
        Thread.currentThread().join();
    }
}
