<?php
/**
 * A product's availability status as the storefront shows it. STATUS_UNKNOWN
 * and unset statuses never become a Status: the caller keeps Magento's own.
 */

declare(strict_types=1);

namespace Availability\Client;

enum Status: string
{
    case InStock = 'IN_STOCK';
    case Backorderable = 'BACKORDERABLE';
    case Preorder = 'PREORDER';
    case OutOfStock = 'OUT_OF_STOCK';
    case Discontinued = 'DISCONTINUED';
}
