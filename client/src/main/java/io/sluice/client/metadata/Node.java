package io.sluice.client.metadata;

/** A broker as metadata names it. Bootstrap addresses get negative ids (-1, -2, ...) until metadata names them. */
public record Node(int id, String host, int port) {
    public String address() {
        return host + ":" + port;
    }

    @Override
    public String toString() {
        return "node " + id + " (" + address() + ")";
    }
}
