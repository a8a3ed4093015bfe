package io.sluice.broker.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers that must be told their port before they start (the controller quorum's voters list names every
 * voter's Ratis port; a system test's brokers get theirs on the command line).
 *
 * <p>The ports come from below the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}): a port picked
 * with {@code bind(0)} lies inside it, where every outgoing connection on the machine takes its local port, so between
 * the pick and the server's bind a client socket could take it (CI saw a three-broker start where one broker never
 * registered). Below the range only another server can take it. A port is handed out once per JVM.
 *
 * <p>Thread-safe.
 */
public final class FreePorts {
    /** The lowest port tried: above the well-known and most registered service ports. */
    private static final int LOWEST = 10_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port nothing listens on or is bound to now, not handed out before by this JVM. */
    public static int next() {
        int below = ephemeralLow();
        if (below - LOWEST < 1000) {
            return anyEphemeral(); // an unusual range leaves no room below it: the small race is accepted
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = LOWEST + random.nextInt(below - LOWEST);
            if (HANDED_OUT.add(port)) {
                if (bindable(port)) {
                    return port;
                }
                HANDED_OUT.remove(port);
            }
        }
        throw new IllegalStateException("no free port in " + LOWEST + ".." + (below - 1) + " on the loopback interface");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            // Without SO_REUSEADDR: a port with connections still in TIME_WAIT is refused too.
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int anyEphemeral() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on the loopback interface", e);
        }
    }

    /** The first port of the ephemeral range; Linux's default when the file cannot be read. */
    private static int ephemeralLow() {
        try {
            // Not Files.readString: it sizes its read by the file's size, which /proc reports wrongly.
            try (BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }
}
