/** The wire contract: frames, protobuf messages and the record-batch format. */
package io.sluice.proto;
