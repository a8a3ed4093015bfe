package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.RegisterBroker;
import io.sluice.broker.testing.ManualClock;
import io.sluice.client.network.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session duties of the active controller, stepped by hand with a clock that moves only when told, asking real
 * sockets through a real {@link ListenerProbe}: a broker whose listener refuses connections is fenced without
 * waiting out a grace that the clock never reaches; one whose listener still answers is fenced only once its grace
 * is over. Proposals go through the real {@link CommandApplier} into the image the controller reads.
 */
class ActiveControllerTest {
    private static final long SESSION_TIMEOUT_MS = 9_000;
    private static final long GRACE_MS = 10_000;

    private static final long START_MS = 1_700_000_000_000L;

    private final ManualClock clock = new ManualClock(START_MS);
    private final ClusterImage image = new ClusterImage();
    private final CommandApplier applier = new CommandApplier(image);
    private final List<Command> proposed = new CopyOnWriteArrayList<>();
    private final PublishedImage view = new PublishedImage(image);
    private final ActiveController controller = new ActiveController(1, SESSION_TIMEOUT_MS, GRACE_MS, clock, view,
            this::propose, () -> true, () -> 1, new ListenerProbe(Transport.shared(), 2_000, 100));
    private ServerSocket listener;
    private long index;

    @AfterEach
    void closeListener() throws IOException {
        if (listener != null) {
            listener.close();
        }
    }

    private synchronized CompletableFuture<CommandResult> propose(Command c) {
        proposed.add(c);
        CommandApplier.Applied applied = applier.apply(c, ++index);
        applied.deltas().forEach(view::apply);
        return CompletableFuture.completedFuture(applied.result());
    }

    /** Registers broker 2 with a listener that accepts connections (the kernel does; nobody reads). */
    private long registerListening() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        return register(listener.getLocalPort());
    }

    /** Registers broker 2 at a port where nothing listens. */
    private long registerRefusing() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        return register(port);
    }

    private long register(int port) {
        propose(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(2)
                .setHost("127.0.0.1").setPort(port).setIncarnationId("i2")).build());
        proposed.clear();
        return image.broker(2).brokerEpoch();
    }

    private boolean fenceProposedFor(int brokerId) {
        return proposed.stream().anyMatch(c -> c.hasFenceBroker() && c.getFenceBroker().getBrokerId() == brokerId);
    }

    /**
     * Steps the controller until it proposes fencing broker 2, the clock moving 1 ms a step (an ended session expires
     * once the clock is past its end): a few hundred ms of clock at most, far from any grace.
     */
    private void awaitFence() {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            clock.advance(1);
            controller.doWork();
            return fenceProposedFor(2);
        });
        assertThat(clock.milliseconds() - START_MS).isLessThan(GRACE_MS);
    }

    @Test
    void aBrokerWhoseConnectionClosedAndWhoseListenerRefusesIsFencedWithoutWaitingOutItsGrace() throws Exception {
        long epoch = registerListening();
        controller.doWork(); // becomes active: every broker's session opens, the listening one is left alone
        controller.heartbeat(2, epoch).join();

        listener.close(); // the process is gone: its heartbeat connection and its listener with it
        controller.connectionLost(2, epoch, GRACE_MS);

        awaitFence();
        assertThat(image.broker(2).fenced()).isTrue();
    }

    @Test
    void aBrokerWhoseConnectionClosedButWhoseListenerAnswersKeepsItsGrace() throws Exception {
        long epoch = registerListening();
        controller.doWork();
        controller.heartbeat(2, epoch).join();

        controller.connectionLost(2, epoch, GRACE_MS);
        // The probe answers within its 100 ms hold and asks again every 250 ms while the grace runs.
        for (int i = 0; i < 8; i++) {
            Thread.sleep(ActiveController.PROBE_RETRY_MS / 2);
            clock.advance(1);
            controller.doWork();
        }
        assertThat(fenceProposedFor(2)).as("fenced while its listener answers: %s", proposed).isFalse();

        clock.advance(GRACE_MS + 1);
        controller.doWork();
        assertThat(fenceProposedFor(2)).isTrue();
    }

    @Test
    void aNewControllerFencesABrokerWhoseListenerRefusesWithoutWaitingOutTheFirstHeartbeatGrace() throws Exception {
        registerRefusing(); // it died with the old controller, before this one heard from it

        controller.doWork();

        awaitFence();
    }
}
