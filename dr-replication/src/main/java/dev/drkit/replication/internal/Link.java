package dev.drkit.replication.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The byte stream of one replication connection: the socket channel itself, or TLS 1.3 layered
 * over it. Reads and writes block. Closing the underlying {@link SocketChannel} ends either.
 */
public abstract class Link {
  /** The only TLS protocol version accepted. */
  public static final String TLS_13 = "TLSv1.3";

  private Link() {}

  /** @return the channel messages are read from */
  public abstract ReadableByteChannel in();

  /**
   * Writes every buffer whole, in order.
   *
   * @param bufs the buffers (positions advance)
   * @throws IOException on failure
   */
  public abstract void write(ByteBuffer... bufs) throws IOException;

  /**
   * Ends this side's output (the peer reads end of stream after what was written).
   *
   * @throws IOException on failure
   */
  public abstract void shutdownOutput() throws IOException;

  /** @return a description of the authenticated peer, or {@code ""} when the link authenticates nobody */
  public abstract String peerIdentity();

  /**
   * @param ch a connected blocking channel
   * @return the channel as a link
   */
  public static Link plain(SocketChannel ch) {
    return new Link() {
      @Override
      public ReadableByteChannel in() {
        return ch;
      }

      @Override
      public void write(ByteBuffer... bufs) throws IOException {
        Wire.writeFully(ch, bufs);
      }

      @Override
      public void shutdownOutput() throws IOException {
        ch.shutdownOutput();
      }

      @Override
      public String peerIdentity() {
        return "";
      }
    };
  }

  /**
   * Layers TLS 1.3 over a connected channel and completes the TLS handshake: a server requires a
   * client certificate; both sides check the other's chain with the context's trust managers.
   *
   * @param ch a connected blocking channel
   * @param context the host's TLS context (key and trust managers)
   * @param client whether this side connected
   * @return the link, after the TLS handshake
   * @throws IOException if the TLS handshake fails (no or untrusted certificate, no TLS 1.3, not TLS)
   */
  public static Link tls(SocketChannel ch, SSLContext context, boolean client) throws IOException {
    java.net.Socket raw = ch.socket();
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw,
        raw.getInetAddress().getHostAddress(), raw.getPort(), true);
    s.setUseClientMode(client);
    s.setEnabledProtocols(new String[] {TLS_13});
    if (!client) {
      s.setNeedClientAuth(true);
    }
    s.startHandshake();
    ReadableByteChannel in = Channels.newChannel(s.getInputStream());
    OutputStream out = new BufferedOutputStream(s.getOutputStream(), 16 << 10);
    String who = s.getSession().getPeerPrincipal().getName();
    return new Link() {
      @Override
      public ReadableByteChannel in() {
        return in;
      }

      @Override
      public void write(ByteBuffer... bufs) throws IOException {
        for (ByteBuffer b : bufs) {
          if (b.hasArray()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            b.position(b.limit());
          } else {
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            out.write(copy);
          }
        }
        out.flush();
      }

      @Override
      public void shutdownOutput() throws IOException {
        out.flush();
        s.shutdownOutput();
      }

      @Override
      public String peerIdentity() {
        return who;
      }
    };
  }
}
