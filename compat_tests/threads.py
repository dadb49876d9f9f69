"""Running test steps on threads at once, for the tests that need concurrency."""

import threading


def run_in_threads(count, target):
    """Run ``target(i)`` on ``count`` threads released together; return results by index.

    An exception in any thread is re-raised here.
    """
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def body(i):
        try:
            barrier.wait(10)
            results[i] = target(i)
        except BaseException as error:  # noqa: BLE001 - re-raised below
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    if errors:
        raise errors[0]
    return results
