package io.salvo.it;

import io.salvo.plan.PlanParser;
import io.salvo.proto.v1.RunPlan;
import java.io.StringReader;

/** Plans for end-to-end tests, written in the same YAML users write. */
final class Plans {

    private Plans() {}

    static String yaml(int port, double rate, String duration, int workers, String extra) {
        return """
                name: e2e
                target:
                  url: http://127.0.0.1:%d/infer
                  method: POST
                  headers:
                    Content-Type: application/json
                phases:
                  - duration: %s
                    rate: %s
                arrival: constant
                workers: %d
                interval: 1s
                timeouts:
                  request: 5s
                  connect: 2s
                %s
                """.formatted(port, duration, rate, workers, extra);
    }

    static RunPlan parse(String yaml) throws Exception {
        return new PlanParser().parse("(test plan)", new StringReader(yaml), null);
    }
}
