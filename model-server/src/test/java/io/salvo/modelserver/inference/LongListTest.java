package io.salvo.modelserver.inference;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LongListTest {

    @Test
    void growsPastItsCapacityAndTruncatesBackToAMark() {
        LongList ids = new LongList(0); // the smallest capacity, 4, so six ids make it grow
        for (long id = 1; id <= 6; id++) {
            ids.add(id);
        }
        assertThat(ids.toArray()).containsExactly(1, 2, 3, 4, 5, 6);

        ids.truncate(2); // as WordPiece does when a word turns out unknown
        ids.add(100);
        assertThat(ids.size()).isEqualTo(3);
        assertThat(ids.toArray()).containsExactly(1, 2, 100);
    }
}
