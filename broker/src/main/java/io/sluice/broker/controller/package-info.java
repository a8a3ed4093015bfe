/**
 * The controller quorum (ARCHITECTURE.md §7): cluster metadata as an Apache Ratis state machine embedded in the
 * brokers of {@code controller.quorum.voters}; every other broker runs it too, as a Ratis listener (an observer).
 *
 * <ul>
 *   <li>{@link io.sluice.broker.controller.QuorumMetadataStore}: the {@code MetadataStore} every broker uses; runs
 *       the Ratis server and client, proposes commands, reads the published image.</li>
 *   <li>{@code ObserverMembership}: a broker that is not a voter asks the leader to add it as a listener.</li>
 *   <li>{@code ControllerStateMachine}: applies the commands of {@code controller.proto} in log order through
 *       {@code CommandApplier} (the controller's semantics, deterministic) to the {@code ClusterImage}, and snapshots
 *       it into the broker store ({@code ImageSnapshots}).</li>
 *   <li>{@code MetadataPublisher}: the one metadata thread that publishes applied changes to the
 *       {@code PublishedImage} handlers read and tells the listeners, in commit order.</li>
 *   <li>{@code BrokerSessions} (active controller) and {@link io.sluice.broker.controller.BrokerLifecycle} (every
 *       broker): registration, heartbeats over the broker protocol, fencing after
 *       {@code broker.session.timeout.ms}.</li>
 * </ul>
 */
package io.sluice.broker.controller;
