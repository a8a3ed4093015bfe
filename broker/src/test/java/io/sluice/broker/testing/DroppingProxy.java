package io.sluice.broker.testing;

import io.sluice.proto.message.Response;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a broker that can lose answers: after {@link #dropNextResponses(int)}, the next
 * response frames coming back from the broker are swallowed and the client's connection is cut, as when a
 * network fails after the broker did the work but before the client heard of it. Requests always go through.
 * Metadata answers are rewritten to name the proxy's port, so clients keep coming through it.
 */
public final class DroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final AtomicInteger toDrop = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public DroppingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "test-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Swallows the next {@code n} response frames, cutting the client connection each time. */
    public void dropNextResponses(int n) {
        toDrop.set(n);
    }

    /** How many responses were swallowed so far. */
    public int dropped() {
        return dropped.get();
    }

    private void accept() {
        try {
            while (!server.isClosed()) {
                Socket client = server.accept();
                Socket broker = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                broker.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(broker);
                start("test-proxy-up", () -> pipe(client.getInputStream(), broker.getOutputStream()), client, broker);
                start("test-proxy-down", () -> forwardResponses(broker, client), client, broker);
            }
        } catch (IOException e) {
            // closed
        }
    }

    private interface IoTask {
        void run() throws IOException;
    }

    private void start(String name, IoTask task, Socket a, Socket b) {
        Thread t = new Thread(() -> {
            try {
                task.run();
            } catch (IOException e) {
                // one side went away
            } finally {
                closeQuietly(a);
                closeQuietly(b);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private static void pipe(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 << 10];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            out.flush();
        }
    }

    /** Copies whole frames (u32 length + body) from broker to client, swallowing those it is told to. */
    private void forwardResponses(Socket broker, Socket client) throws IOException {
        DataInputStream in = new DataInputStream(broker.getInputStream());
        OutputStream out = client.getOutputStream();
        byte[] body = new byte[1 << 20];
        while (true) {
            int length = in.readInt();
            if (length > body.length) {
                body = new byte[length];
            }
            in.readFully(body, 0, length);
            byte[] rewritten = rewriteMetadata(body, length);
            if (rewritten != null) {
                body = rewritten;
                length = rewritten.length;
            }
            if (toDrop.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                dropped.incrementAndGet();
                closeQuietly(client);
                closeQuietly(broker);
                return;
            }
            out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
            out.write(body, 0, length);
            out.flush();
        }
    }

    /** The frame body with every broker's port replaced by the proxy's, or null when it is not a Metadata answer. */
    private byte[] rewriteMetadata(byte[] body, int length) throws IOException {
        int protoLength = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff);
        Response response = Response.parseFrom(java.nio.ByteBuffer.wrap(body, 4, protoLength));
        if (!response.hasMetadata()) {
            return null;
        }
        Response.Builder b = response.toBuilder();
        b.getMetadataBuilder().getBrokersBuilderList().forEach(broker -> broker.setPort(port()));
        byte[] proto = b.build().toByteArray();
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(4 + proto.length + (length - 4 - protoLength));
        out.putInt(proto.length).put(proto).put(body, 4 + protoLength, length - 4 - protoLength);
        return out.array();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
