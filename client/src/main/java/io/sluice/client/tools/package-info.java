/**
 * The command-line tools ({@code bin/sluice-*}) and what they share: {@link io.sluice.client.tools.ToolRunner} gives
 * every tool the same exit codes (0 ok, 1 failure, 2 usage) and one-line errors.
 */
package io.sluice.client.tools;
