package io.sluice.broker.metadata;

/**
 * A broker as the controller knows it: where clients reach it, the epoch of its current registration (the log index
 * of the registration, so a newer registration always has a larger epoch) and whether its session has lapsed.
 *
 * @param incarnationId a random id the broker draws at each start, so a restart is told apart from a retry
 * @param fenced        its heartbeats stopped for longer than {@code broker.session.timeout.ms}: it leads nothing
 *                      and is in no ISR until it heartbeats again
 */
public record BrokerRegistration(int nodeId, String host, int port, String incarnationId, long brokerEpoch,
                                 boolean fenced) {

    public BrokerRecord endpoint() {
        return new BrokerRecord(nodeId, host, port);
    }

    public BrokerRegistration withFenced(boolean fenced) {
        return new BrokerRegistration(nodeId, host, port, incarnationId, brokerEpoch, fenced);
    }
}
