package io.sluice.client.admin;

import io.sluice.client.metadata.Node;
import java.util.List;

/** The cluster as metadata describes it: its id, the active controller's node id (-1: none) and the brokers. */
public record ClusterDescription(String clusterId, int controllerId, List<Node> nodes) {
    public ClusterDescription {
        nodes = List.copyOf(nodes);
    }
}
