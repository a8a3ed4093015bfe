package io.sluice.broker.controller;

import io.sluice.broker.server.BrokerConfig;

/**
 * The active controller's automatic preferred-leader rebalance, with Kafka's keys and defaults:
 * {@code auto.leader.rebalance.enable} (true), {@code leader.imbalance.check.interval.seconds} (300) and
 * {@code leader.imbalance.per.broker.percentage} (10). Immutable.
 */
public record LeaderBalanceConfig(boolean enabled, long checkIntervalMs, int imbalancePercent) {
    /** Kafka's defaults. */
    public static final LeaderBalanceConfig DEFAULT = new LeaderBalanceConfig(true, 300_000, 10);

    public LeaderBalanceConfig {
        if (checkIntervalMs <= 0) {
            throw new IllegalArgumentException("check interval " + checkIntervalMs + " ms must be positive");
        }
        if (imbalancePercent < 0 || imbalancePercent > 100) {
            throw new IllegalArgumentException("imbalance percentage " + imbalancePercent + " must be 0..100");
        }
    }

    /** From the broker's keys, which {@link BrokerConfig} checked. */
    public static LeaderBalanceConfig from(BrokerConfig config) {
        return new LeaderBalanceConfig(Boolean.parseBoolean(config.get(BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE).trim()),
                config.getLong(BrokerConfig.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS) * 1000,
                config.getInt(BrokerConfig.LEADER_IMBALANCE_PER_BROKER_PERCENTAGE));
    }
}
