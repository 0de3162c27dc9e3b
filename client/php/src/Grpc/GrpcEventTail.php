<?php
/**
 * Follows the server's inventory events (TailEvents on the sync listener,
 * which needs the sync token) for a page-cache purger. One tail() call is
 * one stream with a deadline of $maxSeconds; the caller persists the last
 * id and calls again. The token travels only in the authorization header,
 * never in a message or log. Throws AvailabilityException when the stream
 * fails for any reason but its own deadline. Never use it in a process that
 * forks after the first call.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\AvailabilityException;
use Availability\Client\ClientConfig;
use Availability\Client\InventoryEvent;
use Availability\V1\InventorySyncClient;
use Availability\V1\TailEventsRequest;

final class GrpcEventTail
{
    private ?InventorySyncClient $stub = null;

    public function __construct(
        private readonly ClientConfig $syncConfig,
        #[\SensitiveParameter] private readonly string $token,
        private readonly ChannelFactory $channels = new ChannelFactory(),
    ) {
    }

    /**
     * Calls $onEvent for each event after $afterId ("" = from now on) until
     * $maxSeconds pass or $maxEvents arrived; returns the last id seen.
     *
     * @param \Closure(InventoryEvent): void $onEvent
     */
    public function tail(int $stockId, string $afterId, \Closure $onEvent, float $maxSeconds, int $maxEvents = 0): string
    {
        if ($stockId < 1) {
            throw new AvailabilityException(\Availability\Client\Outcome::InvalidRequest, 'stock_id: must be >= 1');
        }
        $this->stub ??= $this->channels->syncStub($this->syncConfig);
        $request = new TailEventsRequest();
        $request->setStockId($stockId);
        $request->setAfterId($afterId);
        $call = $this->stub->TailEvents(
            $request,
            ['authorization' => ['Bearer ' . $this->token]],
            ['timeout' => (int) ($maxSeconds * 1_000_000)],
        );
        $last = $afterId;
        $seen = 0;
        foreach ($call->responses() as $event) {
            $dto = ProtoMapper::event($event);
            $onEvent($dto);
            $last = $dto->id;
            if ($maxEvents > 0 && ++$seen >= $maxEvents) {
                $call->cancel();
                return $last;
            }
        }
        $status = $call->getStatus();
        $code = (int) $status->code;
        if ($code !== StatusMapper::OK && $code !== StatusMapper::DEADLINE_EXCEEDED) {
            throw new AvailabilityException(StatusMapper::outcome($code), 'TailEvents: ' . $status->details);
        }
        return $last;
    }
}
