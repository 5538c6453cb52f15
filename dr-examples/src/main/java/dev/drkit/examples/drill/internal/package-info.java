/** Implementation details of the drill runner; not part of the example's API. */
package dev.drkit.examples.drill.internal;
