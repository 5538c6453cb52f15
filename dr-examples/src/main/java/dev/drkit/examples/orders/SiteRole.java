package dev.drkit.examples.orders;

/** What an {@link OrderSite} may do at its current epoch. */
public enum SiteRole {
  /** Accepts client writes at its epoch and ships them to the replica. */
  PRIMARY,
  /** Refuses client writes; applies replicated writes from the primary. */
  REPLICA,
  /** Fenced at a newer epoch: refuses client writes and replicated writes from older epochs. */
  FENCED
}
