/**
 * One handler per API, and the {@link io.sluice.broker.request.RequestDispatcher} that routes each request
 * to its handler. Handlers turn protobuf requests into calls on the partitions and the metadata, and
 * failures into {@link io.sluice.proto.message.ErrorCode}s with a message that names the problem.
 */
package io.sluice.broker.request;
