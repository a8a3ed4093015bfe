package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.controller.LeaderBalanceConfig;
import io.sluice.broker.controller.QuorumConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BrokerConfigTest {
    private static final Path SHIPPED = Path.of("..", "config", "broker.properties");
    private static final Path CLUSTER = Path.of("..", "config", "cluster");

    @Test
    void theShippedFileListsEveryKeyWithItsDefault() throws Exception {
        Properties props = new Properties();
        try (var in = java.nio.file.Files.newBufferedReader(SHIPPED)) {
            props.load(in);
        }
        assertThat(props.stringPropertyNames()).containsExactlyInAnyOrderElementsOf(BrokerConfig.KEYS.keySet());
        BrokerConfig.KEYS.forEach((k, v) -> assertThat(props.getProperty(k)).as(k)
                .isEqualTo(BrokerConfig.SHIPPED_SINGLE_NODE.getOrDefault(k, v)));
        BrokerConfig config = BrokerConfig.load(SHIPPED, Map.of());
        assertThat(config.nodeId()).isEqualTo(1);
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(9292);
        assertThat(config.metricsPort()).isEqualTo(9293);
        assertThat(config.logDirs()).containsExactly(Path.of("./data"));
        // A single node can create __consumer_offsets; a broker without the file keeps Kafka's default.
        assertThat(config.getInt(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR)).isEqualTo(1);
        assertThat(BrokerConfig.of(Map.of()).getInt(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR)).isEqualTo(3);
    }

    /**
     * config/cluster/broker-{1,2,3}.properties (bin/sluice-cluster): each loads (so every key is known and every value
     * valid), names its own node id, and the three share one voter list holding all three, on distinct ports and
     * data directories.
     */
    @Test
    void theClusterFilesDescribeThreeVotersOnDistinctPortsAndDirs() throws Exception {
        Set<Integer> ports = new HashSet<>();
        Set<Path> dirs = new HashSet<>();
        List<QuorumConfig.Voter> voters = null;
        for (int n = 1; n <= 3; n++) {
            Path file = CLUSTER.resolve("broker-" + n + ".properties");
            Properties props = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                props.load(in);
            }
            assertThat(BrokerConfig.KEYS.keySet()).as(file + " sets only known keys").containsAll(props.stringPropertyNames());
            BrokerConfig config = BrokerConfig.load(file, Map.of());
            assertThat(config.nodeId()).as(file + " node.id").isEqualTo(n);
            QuorumConfig quorum = QuorumConfig.from(config);
            assertThat(quorum.voters()).as(file + " voters").hasSize(3);
            if (voters == null) {
                voters = quorum.voters();
            }
            assertThat(quorum.voters()).as(file + ": the same voters in every file").isEqualTo(voters);
            assertThat(quorum.self().id()).isEqualTo(n);
            assertThat(ports.add(config.port())).as(file + " listener port is unique").isTrue();
            assertThat(ports.add(config.metricsPort())).as(file + " metrics port is unique").isTrue();
            assertThat(ports.add(quorum.self().port())).as(file + " Ratis port is unique").isTrue();
            assertThat(config.logDirs()).hasSize(1);
            assertThat(dirs.add(config.logDirs().get(0).normalize())).as(file + " log dir is unique").isTrue();
            assertThat(config.getInt(BrokerConfig.DEFAULT_REPLICATION_FACTOR)).isEqualTo(3);
        }
    }

    @Test
    void overridesWinOverTheFile() {
        BrokerConfig config = BrokerConfig.load(SHIPPED, Map.of("listeners", "0.0.0.0:0", "log.dirs", "/a, /b"));
        assertThat(config.port()).isZero();
        assertThat(config.logDirs()).containsExactly(Path.of("/a"), Path.of("/b"));
    }

    @Test
    void anUnknownKeyIsRefusedByName() {
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("log.dir", "x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'log.dir'");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("segment.bytes", "1000000")))
                .hasMessageContaining("log.segment.bytes");
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAllowed() {
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.io.threads", "zero")))
                .hasMessageContaining("num.io.threads").hasMessageContaining("not a number");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.io.threads", "0")))
                .hasMessageContaining("num.io.threads").hasMessageContaining("1..256");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("listeners", "9292")))
                .hasMessageContaining("listeners").hasMessageContaining("host:port");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("log.segment.bytes", "10")))
                .hasMessageStartingWith("log.segment.bytes").hasMessageContaining("at least");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("socket.send.buffer.bytes", "0")))
                .hasMessageContaining("socket.send.buffer.bytes").hasMessageContaining("-1");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("metrics.port", "70000")))
                .hasMessageStartingWith("metrics.port").hasMessageContaining("0: any free port");
        assertThat(BrokerConfig.of(Map.of("metrics.port", "0")).metricsPort()).isZero();
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("controller.quorum.voters", "127.0.0.1:9294")))
                .hasMessageContaining("controller.quorum.voters").hasMessageContaining("id@host:port");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("controller.quorum.voters",
                "1@127.0.0.1:9294,1@127.0.0.1:9295"))).hasMessageContaining("controller.quorum.voters")
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("node.id", "4")))
                .hasMessageStartingWith("controller.quorum.observer.address")
                .hasMessageContaining("controller.quorum.voters").hasMessageContaining("node.id 4");
        assertThat(QuorumConfig.from(BrokerConfig.of(Map.of("node.id", "2", "controller.quorum.voters",
                "1@a:1,2@b:2,3@c:3"))).self()).isEqualTo(new QuorumConfig.Voter(2, "b", 2));
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("broker.heartbeat.interval.ms", "9000")))
                .hasMessageContaining("broker.heartbeat.interval.ms").hasMessageContaining("broker.session.timeout.ms");
    }

    /** README's fourth broker beside config/cluster's three: broker-1.properties with these overrides. */
    @Test
    void theReadmesFourthBrokerIsAnObserverOfTheClusterFiles() {
        BrokerConfig config = BrokerConfig.load(CLUSTER.resolve("broker-1.properties"), Map.of(
                "node.id", "4", "listeners", "127.0.0.1:9592", "metrics.port", "9593",
                "controller.quorum.observer.address", "127.0.0.1:9594", "log.dirs", "./data/cluster/broker-4"));
        QuorumConfig quorum = QuorumConfig.from(config);
        assertThat(quorum.isVoter()).isFalse();
        assertThat(quorum.voters()).extracting(QuorumConfig.Voter::id).containsExactly(1, 2, 3);
        assertThat(quorum.voters()).extracting(QuorumConfig.Voter::port).doesNotContain(9592, 9593, 9594);
    }

    /** A node that is not a voter is an observer with a Ratis address of its own; a voter has none. */
    @Test
    void aBrokerThatIsNotAVoterNeedsAnObserverAddress() {
        Map<String, String> nonVoter = Map.of("node.id", "4", "controller.quorum.voters", "1@a:1,2@b:2,3@c:3");
        assertThatThrownBy(() -> BrokerConfig.of(nonVoter))
                .hasMessageStartingWith("controller.quorum.observer.address").hasMessageContaining("node.id 4")
                .hasMessageContaining("host:port");
        Map<String, String> observer = new java.util.HashMap<>(nonVoter);
        observer.put("controller.quorum.observer.address", "d:4");
        QuorumConfig quorum = QuorumConfig.from(BrokerConfig.of(observer));
        assertThat(quorum.isVoter()).isFalse();
        assertThat(quorum.self()).isEqualTo(new QuorumConfig.Voter(4, "d", 4));
        assertThat(quorum.voters()).extracting(QuorumConfig.Voter::id).containsExactly(1, 2, 3);
        assertThat(QuorumConfig.from(BrokerConfig.of(Map.of())).isVoter()).isTrue();
        for (String bad : List.of("d", "d:", ":4", "d:0", "d:x", "d:70000", "c:3")) {
            observer.put("controller.quorum.observer.address", bad);
            assertThatThrownBy(() -> BrokerConfig.of(observer)).as(bad)
                    .hasMessageStartingWith("controller.quorum.observer.address");
        }
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("node.id", "2", "controller.quorum.voters", "1@a:1,2@b:2",
                "controller.quorum.observer.address", "d:4")))
                .hasMessageStartingWith("controller.quorum.observer.address").hasMessageContaining("is one of the voters");
    }

    @Test
    void theLeaderRebalanceKeysHaveKafkasDefaultsAndRefuseBadValuesByName() {
        assertThat(LeaderBalanceConfig.from(BrokerConfig.of(Map.of()))).isEqualTo(LeaderBalanceConfig.DEFAULT);
        assertThat(LeaderBalanceConfig.DEFAULT).isEqualTo(new LeaderBalanceConfig(true, 300_000, 10));
        assertThat(LeaderBalanceConfig.from(BrokerConfig.of(Map.of("auto.leader.rebalance.enable", "false",
                "leader.imbalance.check.interval.seconds", "5", "leader.imbalance.per.broker.percentage", "0"))))
                .isEqualTo(new LeaderBalanceConfig(false, 5_000, 0));
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("auto.leader.rebalance.enable", "yes")))
                .hasMessageStartingWith("auto.leader.rebalance.enable").hasMessageContaining("true or false");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("leader.imbalance.check.interval.seconds", "0")))
                .hasMessageStartingWith("leader.imbalance.check.interval.seconds").hasMessageContaining("1..86400");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("leader.imbalance.per.broker.percentage", "101")))
                .hasMessageStartingWith("leader.imbalance.per.broker.percentage").hasMessageContaining("0..100");
    }
}
