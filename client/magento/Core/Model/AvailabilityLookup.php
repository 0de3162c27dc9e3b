<?php
/**
 * AvailabilityLookupInterface on the library client: resolves the sales
 * channel (the current website's code, as MSI does), applies the per-website
 * enable flag, turns every non-Ok Result into null (Magento's status) and
 * keeps answers in the AnswerRegistry. Never throws.
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Model;

use Availability\Client\Availability;
use Availability\Client\Result;
use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use Magento\Store\Model\StoreManagerInterface;

class AvailabilityLookup implements AvailabilityLookupInterface
{
    public function __construct(
        private readonly Config $config,
        private readonly ClientFactory $clientFactory,
        private readonly AnswerRegistry $registry,
        private readonly StoreManagerInterface $storeManager,
    ) {
    }

    public function isEnabled(): bool
    {
        return $this->config->isEnabled($this->websiteCode());
    }

    public function forSku(string $sku, ?float $quantity = null): ?Availability
    {
        if ($this->registry->has($sku) && $quantity === null) {
            return $this->registry->get($sku);
        }
        $client = $this->isEnabled() ? $this->clientFactory->get() : null;
        if ($client === null) {
            return null;
        }
        $website = (string) $this->websiteCode();
        $answer = self::answer($client->get($sku, $website, $quantity, $this->config->maxAlternatives($website)));
        if ($quantity === null) {
            // The display answer; a quantity's answer (cart) is not the badge's.
            $this->registry->put($sku, $answer);
        }
        return $answer;
    }

    public function prefetch(array $skus): void
    {
        $website = $this->websiteCode();
        $client = $this->isEnabled() && $this->config->showOnListing($website) ? $this->clientFactory->get() : null;
        $missing = array_values(array_filter(array_map('strval', $skus), fn (string $s): bool => !$this->registry->has($s)));
        if ($client === null || $missing === []) {
            return;
        }
        foreach ($client->batchGet($missing, (string) $website) as $sku => $result) {
            $this->registry->put((string) $sku, self::answer($result));
        }
    }

    public function known(string $sku): ?Availability
    {
        return $this->registry->get($sku);
    }

    public function fresh(array $skus): array
    {
        $client = $this->isEnabled() ? $this->clientFactory->get() : null;
        $out = array_fill_keys(array_map('strval', $skus), null);
        if ($client === null || $out === []) {
            return $out;
        }
        foreach ($client->batchGet(array_keys($out), (string) $this->websiteCode(), $this->config->ajaxTimeoutMs()) as $sku => $r) {
            $out[(string) $sku] = self::answer($r);
        }
        return $out;
    }

    private function websiteCode(): ?string
    {
        try {
            return $this->storeManager->getWebsite()->getCode();
        } catch (\Exception) {
            return null;
        }
    }

    private static function answer(Result $result): ?Availability
    {
        return $result->availability;
    }
}
