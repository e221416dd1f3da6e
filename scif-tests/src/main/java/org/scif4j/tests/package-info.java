package org.scif4j.tests;
