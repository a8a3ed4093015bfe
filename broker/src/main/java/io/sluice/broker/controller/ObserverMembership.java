package io.sluice.broker.controller;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An observer's place in the controller quorum's Ratis configuration: it asks the leader to add this node as a
 * listener. The request is Ratis's {@code ADD} mode with no servers, so the voters stay exactly what they are (the
 * leader keeps its current voting members and only merges the listener in); adding a listener that is already there
 * at the same address changes nothing and succeeds, so every start asks again: a first start, a restart and a new
 * address are the same call. Until it is in the configuration the leader sends this node nothing.
 *
 * <p>Blocking, a start-up step on the broker's starting thread, never on an event loop. Stateless.
 */
final class ObserverMembership {
    private static final Logger log = LoggerFactory.getLogger(ObserverMembership.class);
    private static final long RETRY_MS = 200;

    private ObserverMembership() {
    }

    /**
     * Asks until the leader committed the configuration with this observer in it, or {@code deadlineNanos}
     * ({@link System#nanoTime()}) passes.
     *
     * @return whether it was added (or already there); false when the deadline passed first
     */
    static boolean join(QuorumConfig config, RaftGroup voters, long deadlineNanos) throws InterruptedException {
        SetConfigurationRequest.Arguments add = SetConfigurationRequest.Arguments.newBuilder()
                .setMode(SetConfigurationRequest.Mode.ADD)
                // No servers to add (Ratis 3.2.0 refuses a list left null, even an unused one).
                .setServersInNewConf(List.of())
                .setListenersInNewConf(List.of(RatisSettings.listener(config.self())))
                .setServersInCurrentConf(List.of())
                .setListenersInCurrentConf(List.of())
                .build();
        String failure = "no answer";
        while (System.nanoTime() < deadlineNanos) {
            // A client per attempt: one whose retries ran out stays failed (see CommandProposer).
            try (RaftClient client = RaftClient.newBuilder().setRaftGroup(voters)
                    .setProperties(RatisSettings.client()).setRetryPolicy(RatisSettings.clientRetryPolicy()).build()) {
                RaftClientReply reply = client.admin().setConfiguration(add);
                if (reply.isSuccess()) {
                    log.info("controller quorum observer {} at {} is a listener of the voters {}", config.nodeId(),
                            config.self().address(), config.voters());
                    return true;
                }
                failure = String.valueOf(reply.getException());
            } catch (IOException e) {
                // Mostly "reconfiguration in progress" (another observer joining, or a leader that has not yet
                // committed its first entry) or no leader yet: both pass.
                failure = e.toString();
            }
            log.info("controller quorum observer {}: joining as a listener failed ({}); retrying", config.nodeId(),
                    failure);
            TimeUnit.MILLISECONDS.sleep(RETRY_MS);
        }
        log.warn("controller quorum observer {}: not added as a listener before the deadline; last failure: {}",
                config.nodeId(), failure);
        return false;
    }
}
