/** The {@code drkit plan} commands: check and show a recovery plan file. */
package dev.drkit.examples.cli.plan;
