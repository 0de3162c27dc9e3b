<?php
/**
 * Mirrors one Magento back-in-stock alert row (product, customer, website)
 * to the server's SubscribeBackInStock / UnsubscribeBackInStock, with the
 * subscriber proof (the client computes it from the configured subscription
 * secret). A failed call never fails the shopper's request: it is logged,
 * and queued in the RetryQueue (which the events consumer drains) when a
 * retry may succeed; a refusal (unknown SKU, a subscription cap, a wrong
 * or missing proof) is logged and dropped. Module off for the website:
 * nothing is sent.
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Model;

use Availability\Client\AvailabilityException;
use Availability\Client\Outcome;
use AvailabilityService\Core\Model\ClientFactory;
use AvailabilityService\Core\Model\Config;
use AvailabilityService\Core\Model\SubscriberId;
use Magento\Catalog\Model\ResourceModel\Product as ProductResource;
use Magento\Store\Model\StoreManagerInterface;
use Psr\Log\LoggerInterface;

class SubscriptionMirror
{
    public function __construct(
        private readonly ClientFactory $clientFactory,
        private readonly Config $config,
        private readonly SubscriberId $subscriberId,
        private readonly ProductResource $productResource,
        private readonly StoreManagerInterface $storeManager,
        private readonly RetryQueue $retryQueue,
        private readonly LoggerInterface $logger,
    ) {
    }

    public function mirror(bool $subscribe, int $productId, int $customerId, int $websiteId): void
    {
        try {
            $website = $this->storeManager->getWebsite($websiteId)->getCode();
            $rows = $this->productResource->getProductsSku([$productId]);
            $sku = (string) ($rows[0]['sku'] ?? '');
            if ($sku === '' || !$this->config->isEnabled($website)) {
                return;
            }
            $this->send($subscribe, $sku, $website, $this->subscriberId->forCustomer($customerId, $websiteId));
        } catch (AvailabilityException $e) {
            if (self::isRefusal($e)) {
                $this->logger->warning('availability service: back-in-stock mirror refused: ' . $e->getMessage());
                return;
            }
            $this->logger->warning('availability service: back-in-stock mirror failed, queued: ' . $e->getMessage());
            $this->retryQueue->add($subscribe, $productId, $customerId, $websiteId);
        } catch (\Exception $e) {
            $this->logger->error('availability service: back-in-stock mirror: ' . $e->getMessage());
        }
    }

    /**
     * The server refused the subscription itself (unknown SKU, a cap, a
     * missing or wrong proof): a replay would be refused again.
     */
    private static function isRefusal(AvailabilityException $e): bool
    {
        return $e->outcome === Outcome::NotFound || $e->outcome === Outcome::InvalidRequest
            || str_contains($e->getMessage(), 'subscriber_proof:');
    }

    /** @throws AvailabilityException */
    public function send(bool $subscribe, string $sku, string $website, string $subscriber): void
    {
        $client = $this->clientFactory->get();
        if ($client === null) {
            return;
        }
        $subscribe
            ? $client->subscribeBackInStock($sku, $website, $subscriber)
            : $client->unsubscribeBackInStock($sku, $website, $subscriber);
    }
}
