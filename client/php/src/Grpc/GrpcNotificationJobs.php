<?php
/**
 * Claims and acknowledges back-in-stock notification jobs on the sync
 * listener (ClaimNotificationJobs / AckNotificationJobs, sync token in the
 * authorization header only). Delivery is at least once: acknowledge a
 * job only after its mail was handed over; an unacknowledged job comes
 * back once its lease runs out. Throws AvailabilityException (the field
 * and rule for bad arguments, the mapped outcome for call failures). Not
 * for a process that forks after the first call.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\AvailabilityException;
use Availability\Client\ClientConfig;
use Availability\Client\NotificationJob;
use Availability\Client\Outcome;
use Availability\V1\AckNotificationJobsRequest;
use Availability\V1\ClaimNotificationJobsRequest;
use Availability\V1\InventorySyncClient;
use Google\Protobuf\Duration;

final class GrpcNotificationJobs
{
    public const MAX_JOBS = 1000;
    private ?InventorySyncClient $stub = null;

    public function __construct(
        private readonly ClientConfig $syncConfig,
        #[\SensitiveParameter] private readonly string $token,
        private readonly ChannelFactory $channels = new ChannelFactory(),
    ) {
    }

    /**
     * @return NotificationJob[] oldest first; empty when there is nothing to send
     */
    public function claim(int $stockId, string $consumer, int $maxJobs, int $leaseSeconds): array
    {
        $error = self::stockError($stockId)
            ?? (!preg_match('/^[A-Za-z0-9_.\-]{1,64}$/', $consumer) ? 'consumer: 1..64 bytes of [A-Za-z0-9_.-]' : null)
            ?? ($maxJobs < 1 || $maxJobs > self::MAX_JOBS ? 'max_jobs: must be 1..' . self::MAX_JOBS : null)
            ?? ($leaseSeconds < 1 || $leaseSeconds > 86400 ? 'lease: must be 1 s .. 1 day' : null);
        if ($error !== null) {
            throw new AvailabilityException(Outcome::InvalidRequest, $error);
        }
        $request = new ClaimNotificationJobsRequest();
        $request->setStockId($stockId);
        $request->setConsumer($consumer);
        $request->setMaxJobs($maxJobs);
        $request->setLease((new Duration())->setSeconds($leaseSeconds));
        $reply = $this->call('ClaimNotificationJobs', $request);
        $jobs = [];
        foreach ($reply->getJobs() as $job) {
            $jobs[] = new NotificationJob($job->getId(), $job->getSku(), $job->getStockId(),
                $job->getSubscriberId(), $job->getRedelivered());
        }
        return $jobs;
    }

    /** @param string[] $ids 1..1000 job ids; returns how many were acknowledged now */
    public function ack(int $stockId, array $ids): int
    {
        $error = self::stockError($stockId)
            ?? ($ids === [] || count($ids) > self::MAX_JOBS ? 'ids: 1..' . self::MAX_JOBS . ' job ids' : null);
        if ($error !== null) {
            throw new AvailabilityException(Outcome::InvalidRequest, $error);
        }
        $request = new AckNotificationJobsRequest();
        $request->setStockId($stockId);
        $request->setIds(array_values($ids));
        return (int) $this->call('AckNotificationJobs', $request)->getAcknowledged();
    }

    private static function stockError(int $stockId): ?string
    {
        return $stockId < 1 ? 'stock_id: must be >= 1' : null;
    }

    private function call(string $method, object $request): object
    {
        $this->stub ??= $this->channels->syncStub($this->syncConfig);
        [$reply, $status] = $this->stub->$method(
            $request,
            ['authorization' => ['Bearer ' . $this->token]],
            ['timeout' => $this->syncConfig->writeTimeoutMs * 1000],
        )->wait();
        $code = (int) $status->code;
        if ($code !== StatusMapper::OK) {
            throw new AvailabilityException(StatusMapper::outcome($code), "$method: " . $status->details);
        }
        return $reply;
    }
}
