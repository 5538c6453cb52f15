/**
 * drkit's Micrometer binding (micrometer-core is an automatic module, {@code micrometer.core}).
 */
module dev.drkit.micrometer {
  exports dev.drkit.micrometer;

  requires transitive dev.drkit.core;
  requires transitive dev.drkit.replication;
  requires transitive micrometer.core;
  requires static transitive org.jspecify;
  requires org.slf4j;
}
