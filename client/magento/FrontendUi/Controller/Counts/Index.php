<?php
/**
 * GET /availability/counts/index?sku=A[,B...]: live "Only X left" and status
 * for up to 20 SKUs as JSON, cacheable publicly for 30 s (Varnish), so the
 * cached product page shows a fresh count without a per-shopper call. SKUs
 * without an answer map to null.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Controller\Counts;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\App\RequestInterface;
use Magento\Framework\Controller\Result\Json;
use Magento\Framework\Controller\Result\JsonFactory;

class Index implements HttpGetActionInterface
{
    public const MAX_SKUS = 20;
    public const TTL_SECONDS = 30;

    public function __construct(
        private readonly RequestInterface $request,
        private readonly JsonFactory $jsonFactory,
        private readonly AvailabilityLookupInterface $lookup,
    ) {
    }

    public function execute(): Json
    {
        $skus = array_slice(array_values(array_unique(array_filter(
            array_map('trim', explode(',', (string) $this->request->getParam('sku', '')))
        ))), 0, self::MAX_SKUS);
        $data = [];
        foreach ($this->lookup->fresh($skus) as $sku => $answer) {
            $data[$sku] = $answer === null ? null : [
                'status' => $answer->displayStatus->value,
                'only_x_left' => $answer->onlyXLeft,
                'stale' => $answer->stale,
            ];
        }
        $result = $this->jsonFactory->create();
        $result->setHeader('Cache-Control', 'public, max-age=' . self::TTL_SECONDS . ', s-maxage=' . self::TTL_SECONDS, true);
        $result->setHeader('Pragma', 'cache', true);
        return $result->setData($data);
    }
}
