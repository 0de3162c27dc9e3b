// ThreadSanitizer annotations for Debian's prebuilt Abseil (scripts/test
// --sanitize=thread preloads this as a shared library).
//
// Debian's libabsl_synchronization.so is not built with -fsanitize=thread,
// so TSan never sees absl::Mutex, CondVar or Notification synchronize:
// every field guarded by an absl::Mutex in our code (and gRPC's, which locks
// absl::Mutex too) shows up as a data race. Suppressing those would need
// `race:` entries on our own frames and hide real races. Instead, this
// library interposes the exported entry points, calls the real ones
// (dlsym RTLD_NEXT) and tells TSan about the happens-before edges:
// release before a mutex is given up, acquire once it is held again.
// It adds edges only where Abseil's own TSan build would, so real races
// (an access without the lock) are still reported. Not compiled with
// -fsanitize=thread itself; the __tsan_* hooks come from the runtime of the
// process (weak: a process without TSan, e.g. redis-server, is unaffected).
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
}

namespace {

void Acquire(const void* addr) {
  if (__tsan_acquire != nullptr) __tsan_acquire(const_cast<void*>(addr));
}
void Release(const void* addr) {
  if (__tsan_release != nullptr) __tsan_release(const_cast<void*>(addr));
}

// The real definition of `mangled` in the next library (Abseil's).
template <typename Fn>
Fn Real(const char* mangled) {
  void* fn = dlsym(RTLD_NEXT, mangled);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found\n", mangled);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

// The address Notification's inline HasBeenNotified() loads with acquire
// (notified_yet_, right after the Mutex): Notify releases it, so a thread
// that sees the flag is ordered after everything before Notify.
static_assert(sizeof(absl::Mutex) == sizeof(void*) &&
                  sizeof(absl::Notification) == 2 * sizeof(void*),
              "absl::Notification layout changed; update the flag address");
const void* NotifiedFlag(const absl::Notification* n) {
  return reinterpret_cast<const char*>(n) + sizeof(absl::Mutex);
}

// A condition is evaluated by Abseil with the mutex held (by the waiter, or
// by the thread unlocking on its behalf), inside the Await/LockWhen call; a
// false one leaves the waiter blocked and the mutex free. So each
// evaluation is a critical section of its own: acquire, read, release.
struct HeldCondition {
  const absl::Condition* condition;
  const absl::Mutex* mu;
};
bool EvalHolding(HeldCondition* held) {
  Acquire(held->mu);
  const bool met = held->condition->Eval();
  Release(held->mu);
  return met;
}

}  // namespace

#define AV_REAL(type, mangled)                  \
  static const auto real = Real<type>(mangled); \
  (void)0

// `wrapped`: the caller's condition, acquiring `this` mutex before it is
// evaluated (valid while the caller waits in the real call).
#define AV_WRAP(cond)                \
  HeldCondition held{&(cond), this}; \
  const Condition wrapped(&EvalHolding, &held)

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  AV_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  Acquire(this);
}
void Mutex::ReaderLock() {
  AV_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}
bool Mutex::TryLock() {
  AV_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}
bool Mutex::ReaderTryLock() {
  AV_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}
void Mutex::Unlock() {
  AV_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  Release(this);
  real(this);
}
void Mutex::ReaderUnlock() {
  AV_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}
void Mutex::LockWhen(const Condition& cond) {
  AV_REAL(void (*)(Mutex*, const Condition&),
          "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  AV_WRAP(cond);
  real(this, wrapped);
  Acquire(this);
}
void Mutex::ReaderLockWhen(const Condition& cond) {
  AV_REAL(void (*)(Mutex*, const Condition&),
          "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AV_WRAP(cond);
  real(this, wrapped);
  Acquire(this);
}
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  AV_REAL(bool (*)(Mutex*, const Condition&, Duration),
          "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_"
          "8DurationE");
  AV_WRAP(cond);
  const bool met = real(this, wrapped, timeout);
  Acquire(this);  // held either way
  return met;
}
bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  AV_REAL(bool (*)(Mutex*, const Condition&, Time),
          "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_"
          "4TimeE");
  AV_WRAP(cond);
  const bool met = real(this, wrapped, deadline);
  Acquire(this);
  return met;
}
bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  AV_REAL(bool (*)(Mutex*, const Condition&, Duration),
          "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_"
          "9ConditionENS0_8DurationE");
  AV_WRAP(cond);
  const bool met = real(this, wrapped, timeout);
  Acquire(this);
  return met;
}
bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  AV_REAL(bool (*)(Mutex*, const Condition&, Time),
          "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_"
          "9ConditionENS0_4TimeE");
  AV_WRAP(cond);
  const bool met = real(this, wrapped, deadline);
  Acquire(this);
  return met;
}
// Await* give the mutex up while waiting and hold it again on return.
void Mutex::Await(const Condition& cond) {
  AV_REAL(void (*)(Mutex*, const Condition&),
          "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  Release(this);
  AV_WRAP(cond);
  real(this, wrapped);
  Acquire(this);
}
bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  AV_REAL(bool (*)(Mutex*, const Condition&, Duration),
          "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_"
          "8DurationE");
  Release(this);
  AV_WRAP(cond);
  const bool met = real(this, wrapped, timeout);
  Acquire(this);
  return met;
}
bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  AV_REAL(bool (*)(Mutex*, const Condition&, Time),
          "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_"
          "4TimeE");
  Release(this);
  AV_WRAP(cond);
  const bool met = real(this, wrapped, deadline);
  Acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  AV_REAL(void (*)(CondVar*, Mutex*),
          "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}
bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  AV_REAL(bool (*)(CondVar*, Mutex*, Duration),
          "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_"
          "8DurationE");
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}
bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  AV_REAL(bool (*)(CondVar*, Mutex*, Time),
          "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

void Notification::Notify() {
  AV_REAL(void (*)(Notification*), "_ZN4absl7debian312Notification6NotifyEv");
  Release(NotifiedFlag(this));
  real(this);
}
void Notification::WaitForNotification() const {
  AV_REAL(void (*)(const Notification*),
          "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  Acquire(NotifiedFlag(this));
}
bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  AV_REAL(bool (*)(const Notification*, Duration),
          "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_"
          "8DurationE");
  const bool notified = real(this, timeout);
  if (notified) Acquire(NotifiedFlag(this));
  return notified;
}
bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  AV_REAL(
      bool (*)(const Notification*, Time),
      "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_"
      "4TimeE");
  const bool notified = real(this, deadline);
  if (notified) Acquire(NotifiedFlag(this));
  return notified;
}

// absl::Status shares its heap payload (StatusRep) between copies with a
// reference count that the uninstrumented libabsl_status decrements
// (acq_rel); the copy that drops the last reference deletes the payload,
// often on another thread than the one that last read it. Model the
// decrement's acquire-release on the payload's address.
void Status::UnrefNonInlined(uintptr_t rep) {
  AV_REAL(void (*)(uintptr_t), "_ZN4absl7debian36Status15UnrefNonInlinedEm");
  Release(reinterpret_cast<const void*>(rep));
  Acquire(reinterpret_cast<const void*>(rep));
  real(rep);
}

ABSL_NAMESPACE_END
}  // namespace absl
