<?php
/**
 * ProductInterface.availability: every product of one GraphQL response in
 * one BatchGetAvailability (listing timeout), for the store the request
 * runs in (the lookup resolves its website). Products without an answer
 * resolve to null.
 */

declare(strict_types=1);

namespace AvailabilityService\GraphQl\Model\Resolver;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use AvailabilityService\GraphQl\Model\AnswerFormatter;
use Magento\Framework\GraphQl\Config\Element\Field;
use Magento\Framework\GraphQl\Query\Resolver\BatchResolverInterface;
use Magento\Framework\GraphQl\Query\Resolver\BatchResponse;
use Magento\Framework\GraphQl\Query\Resolver\ContextInterface;

class ProductAvailabilityField implements BatchResolverInterface
{
    public function __construct(
        private readonly AvailabilityLookupInterface $lookup,
        private readonly AnswerFormatter $formatter,
    ) {
    }

    public function resolve(ContextInterface $context, Field $field, array $requests): BatchResponse
    {
        $skus = [];
        foreach ($requests as $request) {
            $product = $request->getValue()['model'] ?? null;
            if ($product !== null) {
                $skus[] = (string) $product->getSku();
            }
        }
        $this->lookup->prefetch($skus);
        $response = new BatchResponse();
        foreach ($requests as $request) {
            $product = $request->getValue()['model'] ?? null;
            $answer = $product !== null ? $this->lookup->known((string) $product->getSku()) : null;
            $response->addResponse($request, $this->formatter->format($answer));
        }
        return $response;
    }
}
