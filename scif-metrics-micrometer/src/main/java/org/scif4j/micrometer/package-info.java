/**
 * scif4j's counters as Micrometer meters: {@link org.scif4j.micrometer.ScifNodeMeters} for a
 * node attachment's {@link org.scif4j.NodeMetrics} and {@link org.scif4j.micrometer.ScifEndpointMeters}
 * for one endpoint's {@link org.scif4j.EndpointMetrics}. An optional module: scif-api does not
 * depend on it or on Micrometer.
 */
package org.scif4j.micrometer;
