/**
 * {@code bin/sluice-verify produce|consume|run}: sequence-numbered records written, read back and checked (the role
 * of Kafka's VerifiableProducer/VerifiableConsumer in failure tests). {@link io.sluice.client.tools.verify.VerifyValue}
 * is the record format, {@link io.sluice.client.tools.verify.AckFile} the acknowledged-records file, and
 * {@link io.sluice.client.tools.verify.Checker} the checking logic, which needs no broker.
 */
package io.sluice.client.tools.verify;
