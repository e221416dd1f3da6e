package org.scif4j.bench;
