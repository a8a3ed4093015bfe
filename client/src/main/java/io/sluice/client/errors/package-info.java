/**
 * The client's exceptions: one per family of {@link io.sluice.proto.message.ErrorCode}, all under
 * {@link io.sluice.client.errors.SluiceException}, which carries the code and whether a retry may succeed.
 */
package io.sluice.client.errors;
