/**
 * The kugelpos master-data lookup on Lifeline: an {@link
 * dev.lifeline.examples.item.ItemMasterRepository} created per request, as web frameworks do, by an
 * application-scoped {@link dev.lifeline.examples.item.ItemMasterRepositories} that still reuses
 * one pooled channel, and {@link dev.lifeline.examples.item.InMemoryItemService}, a small server
 * for it.
 */
@NullMarked
package dev.lifeline.examples.item;

import org.jspecify.annotations.NullMarked;
