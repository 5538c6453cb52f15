/** {@code drkit soak}: the Jepsen-style soak of failover plus replication on the example service. */
package dev.drkit.examples.cli.soak;
