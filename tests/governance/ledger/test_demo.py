from governance.ledger.demo import seed_checkpoint
from governance.ledger.models import Checkpoint


def test_seeding_signs_one_checkpoint_and_is_idempotent(ledger):
    ledger(5)
    first = seed_checkpoint()
    assert first.tree_size == 5
    assert seed_checkpoint() == first
    ledger(2, start=5)
    assert seed_checkpoint().tree_size == 8
    assert Checkpoint.objects.count() == 2
