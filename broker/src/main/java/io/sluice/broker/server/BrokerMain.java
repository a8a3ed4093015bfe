package io.sluice.broker.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/sluice-broker [CONFIG] [--override k=v]…}: runs one broker in the foreground until SIGTERM or
 * Ctrl-C, which shut it down cleanly (stop accepting, answer what is in flight, flush, clean marker).
 */
@Command(name = "sluice-broker", mixinStandardHelpOptions = true, version = "sluice-broker 0.1.0",
        description = "Runs a Sluice broker in the foreground. SIGTERM or Ctrl-C stops it cleanly.")
public final class BrokerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(BrokerMain.class);

    @Parameters(arity = "0..1", paramLabel = "CONFIG",
            description = "broker properties file (default: config/broker.properties)")
    Path config;

    @Option(names = "--override", paramLabel = "KEY=VALUE",
            description = "sets a configuration key, over the file's value (repeatable)")
    List<String> overrides = List.of();

    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        System.exit(new CommandLine(new BrokerMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> overrideMap = new LinkedHashMap<>();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                System.err.println("sluice-broker: --override '" + o + "' must be KEY=VALUE");
                return 2;
            }
            overrideMap.put(o.substring(0, eq).trim(), o.substring(eq + 1));
        }
        Path file = config != null ? config : Path.of("config", "broker.properties");
        if (!Files.isRegularFile(file)) {
            System.err.println("sluice-broker: configuration file " + file + " not found");
            return 2;
        }
        BrokerConfig brokerConfig;
        try {
            brokerConfig = BrokerConfig.load(file, overrideMap);
        } catch (ConfigException e) {
            System.err.println("sluice-broker: bad configuration in " + file + ": " + e.getMessage());
            return 1;
        }
        SluiceBroker broker;
        try {
            broker = SluiceBroker.start(brokerConfig);
        } catch (RuntimeException e) {
            log.error("the broker did not start", e);
            System.err.println("sluice-broker: did not start: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "sluice-shutdown"));
        log.info("broker {} ready on {} (data in {}, metrics at http://{}:{}/metrics)", brokerConfig.nodeId(),
                broker.bootstrap(), brokerConfig.logDirs(), brokerConfig.host(), broker.metricsPort());
        stopped.await();
        return 0;
    }
}
