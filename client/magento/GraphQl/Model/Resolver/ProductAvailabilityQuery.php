<?php
/**
 * Query.productAvailability(skus): live answers for up to 20 SKUs, not
 * cached (@cache(cacheable: false)); AJAX timeout. More SKUs, or none, is
 * a GraphQlInputException naming the argument.
 */

declare(strict_types=1);

namespace AvailabilityService\GraphQl\Model\Resolver;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use AvailabilityService\GraphQl\Model\AnswerFormatter;
use Magento\Framework\GraphQl\Config\Element\Field;
use Magento\Framework\GraphQl\Exception\GraphQlInputException;
use Magento\Framework\GraphQl\Query\ResolverInterface;
use Magento\Framework\GraphQl\Schema\Type\ResolveInfo;

class ProductAvailabilityQuery implements ResolverInterface
{
    public const MAX_SKUS = 20;

    public function __construct(
        private readonly AvailabilityLookupInterface $lookup,
        private readonly AnswerFormatter $formatter,
    ) {
    }

    public function resolve(Field $field, $context, ResolveInfo $info, ?array $value = null, ?array $args = null)
    {
        $skus = array_values(array_unique(array_map('strval', $args['skus'] ?? [])));
        if ($skus === [] || count($skus) > self::MAX_SKUS) {
            throw new GraphQlInputException(__('skus: between 1 and %1 SKUs', self::MAX_SKUS));
        }
        $out = [];
        foreach ($this->lookup->fresh($skus) as $answer) {
            $out[] = $this->formatter->format($answer);
        }
        return $out;
    }
}
