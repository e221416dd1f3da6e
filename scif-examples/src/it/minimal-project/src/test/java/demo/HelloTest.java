package demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HelloTest {
    @Test
    void node0HearsNode1() throws Exception {
        assertEquals("hello from node 1", Hello.greet("shm:hello-test-" + ProcessHandle.current().pid() + "?node="));
    }
}
