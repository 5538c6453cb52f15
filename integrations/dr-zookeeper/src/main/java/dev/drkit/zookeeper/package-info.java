@NullMarked
package dev.drkit.zookeeper;

import org.jspecify.annotations.NullMarked;
