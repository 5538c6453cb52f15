@NullMarked
package dev.drkit.zookeeper.internal;

import org.jspecify.annotations.NullMarked;
