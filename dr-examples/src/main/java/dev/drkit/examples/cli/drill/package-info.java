/** The {@code drill} command of the drkit command-line tool. */
package dev.drkit.examples.cli.drill;
