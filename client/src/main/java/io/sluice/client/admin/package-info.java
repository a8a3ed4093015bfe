/** Topic and cluster administration: {@link io.sluice.client.admin.Admin}. */
package io.sluice.client.admin;
