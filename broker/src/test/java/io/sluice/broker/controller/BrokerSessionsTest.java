package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.BrokerRegistration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BrokerSessionsTest {
    private final BrokerSessions sessions = new BrokerSessions(1000, 1000);
    private final BrokerRegistration one = new BrokerRegistration(1, "h", 1, "i", 10, false);
    private final BrokerRegistration two = new BrokerRegistration(2, "h", 2, "i", 11, false);

    @Test
    void aBrokerSeenFirstGetsAWholeSessionThenExpiresWithoutHeartbeats() {
        assertThat(sessions.expired(List.of(one, two), 0)).isEmpty();
        sessions.heartbeat(1, 10, 900);
        assertThat(sessions.expired(List.of(one, two), 1000)).isEmpty();
        assertThat(sessions.expired(List.of(one, two), 1001)).containsExactly(two);
        assertThat(sessions.expired(List.of(one, two), 1901)).containsExactly(one, two);
    }

    @Test
    void aNewRegistrationStartsANewSessionAndFencedBrokersAreSkipped() {
        sessions.expired(List.of(one), 0);
        BrokerRegistration reRegistered = new BrokerRegistration(1, "h", 1, "j", 20, false);
        assertThat(sessions.expired(List.of(reRegistered), 5000)).isEmpty();
        assertThat(sessions.lastSeenMs(1, 20)).isEqualTo(5000);
        assertThat(sessions.lastSeenMs(1, one.brokerEpoch())).as("the old registration's session is gone").isEqualTo(-1);
        assertThat(sessions.expired(List.of(reRegistered), 6001)).containsExactly(reRegistered);
        assertThat(sessions.expired(List.of(reRegistered.withFenced(true)), 9000)).isEmpty();
    }

    @Test
    void aNewControllerForgetsAndGivesEveryoneAFreshSession() {
        sessions.expired(List.of(one), 0);
        sessions.clear();
        assertThat(sessions.expired(List.of(one), 5000)).isEmpty();
        assertThat(sessions.sinceLastHeartbeat(1, 5500)).isEqualTo(500);
    }

    @Test
    void aLostHeartbeatConnectionEndsTheSessionAfterTheGraceUnlessAHeartbeatComes() {
        sessions.heartbeat(1, 10, 0);
        sessions.heartbeat(2, 11, 0);
        sessions.connectionLost(1, 10, 100, 200);
        sessions.connectionLost(2, 11, 100, 200);
        sessions.connectionLost(2, 99, 100, 1); // another registration's connection: not this session
        sessions.heartbeat(2, 11, 250); // reconnected: a full session again
        assertThat(sessions.expired(List.of(one, two), 300)).isEmpty();
        assertThat(sessions.expired(List.of(one, two), 301)).containsExactly(one);
        assertThat(sessions.expired(List.of(one, two), 1250)).containsExactly(one);
        assertThat(sessions.expired(List.of(one, two), 1251)).containsExactly(one, two);
    }

    @Test
    void aBrokerANewControllerHasNotHeardFromHasOnlyTheFirstHeartbeatGrace() {
        BrokerSessions fresh = new BrokerSessions(9000, 2000);
        assertThat(fresh.expired(List.of(one, two), 0)).isEmpty();
        fresh.heartbeat(1, 10, 500); // a live broker finds the new controller: a whole session from here
        assertThat(fresh.expired(List.of(one, two), 2001)).containsExactly(two);
        assertThat(fresh.expired(List.of(one, two), 9500)).containsExactly(two);
        assertThat(fresh.expired(List.of(one, two), 9501)).containsExactly(one, two);
    }
}
