/** {@code sluice-topics}: create, list, describe and delete topics. */
package io.sluice.client.tools.topics;
