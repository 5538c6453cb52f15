package dev.drkit.zookeeper;

import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real ZooKeeper server on 127.0.0.1 ({@link ZkTesting#startServer()}) for the tests of one class:
 * started before the first test and stopped after the last. Register it as
 * {@code @RegisterExtension static final ZkServer server = new ZkServer();}.
 */
final class ZkServer implements BeforeAllCallback, AfterAllCallback {
  private TestingServer server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = ZkTesting.startServer();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** @return the server's {@code host:port} for clients */
  String getConnectString() {
    return running().getConnectString();
  }

  /** @return the server's client port, e.g. for a {@code LoopbackProxy} in front of it */
  int getPort() {
    return running().getPort();
  }

  private TestingServer running() {
    if (server == null) {
      throw new IllegalStateException("the ZooKeeper server runs only between beforeAll and afterAll");
    }
    return server;
  }
}
