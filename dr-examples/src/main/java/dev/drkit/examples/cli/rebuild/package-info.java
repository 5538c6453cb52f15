/** The {@code rebuild} command of the drkit command-line tool (point-in-time rebuild of the example service). */
package dev.drkit.examples.cli.rebuild;
