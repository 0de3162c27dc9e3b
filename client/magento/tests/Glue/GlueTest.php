<?php

declare(strict_types=1);

namespace AvailabilityService\Tests\Glue;

use Availability\Client\Tests\Support\Stack;
use AvailabilityService\Core\Model\AnswerRegistry;
use AvailabilityService\Core\Model\AvailabilityLookup;
use AvailabilityService\Core\Model\ClientFactory;
use AvailabilityService\Core\Model\Config;
use AvailabilityService\Core\Model\StoreMidnight;
use AvailabilityService\FrontendUi\Observer\FlagListingCollection;
use AvailabilityService\FrontendUi\Observer\PrefetchListing;
use AvailabilityService\FrontendUi\Plugin\CartEtaMessagePlugin;
use AvailabilityService\FrontendUi\Plugin\EtaPageTtlPlugin;
use AvailabilityService\FrontendUi\Plugin\HideCoreStockQtyPlugin;
use AvailabilityService\FrontendUi\ViewModel\ProductAvailability;
use Magento\Catalog\Api\Data\ProductInterface;
use Magento\Catalog\Model\ResourceModel\Product as ProductResource;
use Magento\Catalog\Model\ResourceModel\Product\CollectionFactory;
use Magento\CatalogInventory\Api\StockStateInterface;
use Magento\CatalogInventory\Block\Stockqty\AbstractStockqty;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\App\Response\Http;
use Magento\Framework\DataObject;
use Magento\Framework\Event\Observer;
use Magento\Framework\Stdlib\DateTime\TimezoneInterface;
use Magento\Framework\UrlInterface;
use Magento\Store\Model\StoreManagerInterface;
use PHPUnit\Framework\TestCase;
use Psr\Log\LoggerInterface;

/**
 * The module's glue run as Magento would run it, against a real server
 * with the demo catalog; only the Magento interfaces it calls are
 * stand-ins (tests/standins). Call counts come from the server's /metrics.
 */
final class GlueTest extends TestCase
{
    private static ?Stack $stack = null;
    private string $website = 'base';
    private AnswerRegistry $registry;
    private AvailabilityLookup $lookup;
    private ProductAvailability $viewModel;

    public static function setUpBeforeClass(): void
    {
        self::$stack = new Stack();
    }

    public static function tearDownAfterClass(): void
    {
        self::$stack = null;
    }

    protected function setUp(): void
    {
        $values = [
            'enabled' => ['base' => '1', 'other' => '0'],
            'show_on_listing' => ['base' => '1'],
            'max_alternatives' => ['base' => '3'],
            'address' => self::$stack->address(),
            'use_tls' => '0',
            'product_timeout_ms' => '2000',
            'listing_timeout_ms' => '2000',
            'ajax_timeout_ms' => '2000',
            'breaker_failures' => '5',
            'breaker_cool_down_s' => '10',
        ];
        $scopeConfig = new class ($values) implements ScopeConfigInterface {
            public function __construct(private array $values)
            {
            }

            public function getValue($path, $scopeType = 'default', $scopeCode = null)
            {
                $v = $this->values[substr($path, strlen(Config::PREFIX))] ?? null;
                return is_array($v) ? ($v[$scopeCode] ?? null) : $v;
            }

            public function isSetFlag($path, $scopeType = 'default', $scopeCode = null)
            {
                return (bool) $this->getValue($path, $scopeType, $scopeCode);
            }
        };
        $storeManager = new class ($this) implements StoreManagerInterface {
            public function __construct(private GlueTest $test)
            {
            }

            public function getWebsite($websiteId = null)
            {
                $code = $this->test->websiteCode();
                return new class ($code) {
                    public function __construct(private string $code)
                    {
                    }

                    public function getCode(): string
                    {
                        return $this->code;
                    }
                };
            }
        };
        $logger = new class implements LoggerInterface {
            public function warning(string|\Stringable $message, array $context = []): void
            {
            }

            public function error(string|\Stringable $message, array $context = []): void
            {
                throw new \LogicException((string) $message);
            }
        };
        $config = new Config($scopeConfig);
        $this->registry = new AnswerRegistry();
        $this->lookup = new AvailabilityLookup($config, new ClientFactory($config, $logger), $this->registry, $storeManager);
        $this->viewModel = new ProductAvailability($this->lookup, $this->registry, new CollectionFactory(),
            self::timezone(), $this->createStub(UrlInterface::class));
    }

    public function websiteCode(): string
    {
        return $this->website;
    }

    private static function timezone(): TimezoneInterface
    {
        return new class implements TimezoneInterface {
            public function getConfigTimezone($scopeType = null, $scopeCode = null)
            {
                return 'Europe/Berlin';
            }

            public function formatDate($date = null, $format = \IntlDateFormatter::SHORT, $showTime = false)
            {
                return $date->format('Y-m-d');
            }
        };
    }

    private static function product(string $sku): ProductInterface
    {
        return new class ($sku) implements ProductInterface {
            public function __construct(private string $sku)
            {
            }

            public function getSku()
            {
                return $this->sku;
            }
        };
    }

    /** A listing collection as the observers see it: flags and loaded items. */
    private static function collection(array $skus): object
    {
        return new class (array_map([self::class, 'product'], $skus)) {
            private array $flags = [];

            public function __construct(private array $items)
            {
            }

            public function setFlag($flag, $value = null)
            {
                $this->flags[$flag] = $value;
                return $this;
            }

            public function getFlag($flag)
            {
                return $this->flags[$flag] ?? null;
            }

            public function getItems()
            {
                return $this->items;
            }
        };
    }

    private static function event(object $collection): Observer
    {
        return new Observer(['event' => new DataObject(['collection' => $collection])]);
    }

    public function testListingPageIsOneBatchThatEveryTileReads(): void
    {
        $skus = self::$stack->catalogSkus(47);
        $skus[] = 'DEMO-INSTOCK-LOW';
        $listing = self::collection($skus);
        $widget = self::collection(['DEMO-OUT']);
        $batches = self::$stack->calls('BatchGetAvailability');
        $gets = self::$stack->calls('GetAvailability');

        (new FlagListingCollection())->execute(self::event($listing));
        $prefetch = new PrefetchListing($this->lookup);
        $prefetch->execute(self::event($widget)); // not a listing: ignored
        $prefetch->execute(self::event($listing));

        $this->assertSame($batches + 1, self::$stack->calls('BatchGetAvailability'), 'one batch for the page');
        foreach ($skus as $sku) {
            $this->assertNotNull($this->lookup->known($sku), $sku);
        }
        $this->assertNull($this->lookup->known('DEMO-OUT'), 'the unflagged collection was not asked');
        // Core's "Only X left" hides for a product the server answered, without another call.
        $hide = new HideCoreStockQtyPlugin($this->lookup);
        $stockQty = new class (self::product('DEMO-INSTOCK-LOW')) extends AbstractStockqty {
        };
        $this->assertFalse($hide->afterIsMsgVisible($stockQty, true));
        $this->assertSame($gets, self::$stack->calls('GetAvailability'), 'tiles and plugins read the registry');
        $this->registry->_resetState();
        $this->assertNull($this->lookup->known('DEMO-INSTOCK-LOW'), 'nothing survives the request');
    }

    public function testMagentosStatusStaysWithoutAnAnswer(): void
    {
        $hide = new HideCoreStockQtyPlugin($this->lookup);
        $unknown = new class (self::product('NO-SUCH-SKU')) extends AbstractStockqty {
        };
        $this->assertNull($this->viewModel->forProduct(self::product('NO-SUCH-SKU')));
        $this->assertTrue($hide->afterIsMsgVisible($unknown, true), 'core keeps its message');
        $this->assertFalse($hide->afterIsMsgVisible($unknown, false), 'and never shows one core hid');

        $this->website = 'other'; // module off for this website
        $calls = self::$stack->calls('GetAvailability');
        $this->assertNull($this->viewModel->forProduct(self::product('DEMO-OUT')));
        $this->assertTrue($hide->afterIsMsgVisible(new class (self::product('DEMO-OUT')) extends AbstractStockqty {
        }, true));
        $this->assertSame($calls, self::$stack->calls('GetAvailability'), 'no call when disabled');
    }

    public function testCartOnlyAppendsTheShipDateToMagentosBackorderNotice(): void
    {
        $plugin = new CartEtaMessagePlugin($this->lookup,
            new ProductResource([7 => 'DEMO-BACKORDER', 8 => 'DEMO-INSTOCK-LOW']), $this->viewModel);
        $stockState = $this->createStub(StockStateInterface::class);
        $notice = 'We don\'t have as many quantity as you requested, but we\'ll back order the remaining 5.';

        $backorder = new DataObject(['has_error' => false, 'item_backorders' => 5, 'message' => $notice]);
        $out = $plugin->afterCheckQuoteItemQty($stockState, $backorder, 7, 10, 10, 10);
        $this->assertStringStartsWith($notice . ' Expected to ship by 20', $out->getData('message'));
        $this->assertFalse($out->getData('has_error'), 'never touches the error flag');
        $this->assertSame(5, $out->getData('item_backorders'));

        $refused = new DataObject(['has_error' => true, 'item_backorders' => 5, 'message' => 'Not enough.']);
        $this->assertSame('Not enough.', $plugin->afterCheckQuoteItemQty($stockState, $refused, 7, 10, 10, 10)->getData('message'));
        $this->assertTrue($refused->getData('has_error'));

        $inStock = new DataObject(['has_error' => false, 'item_backorders' => 0, 'message' => '']);
        $this->assertSame('', $plugin->afterCheckQuoteItemQty($stockState, $inStock, 8, 1, 1, 1)->getData('message'));
    }

    public function testPagesWithAShipDateExpireAtTheStoresMidnight(): void
    {
        $midnight = new StoreMidnight(self::timezone());
        // 22:30 UTC in winter is 23:30 in Berlin: 30 minutes left.
        $this->assertSame(1800, $midnight->secondsLeft(new \DateTimeImmutable('2026-01-10T22:30:00Z')));
        $plugin = new EtaPageTtlPlugin($this->registry, $midnight);
        $http = new Http();

        $this->viewModel->forProduct(self::product('DEMO-INSTOCK-LOW'));
        $this->assertSame([86400], $plugin->beforeSetPublicHeaders($http, 86400), 'no date shown: TTL kept');

        $answer = $this->viewModel->forProduct(self::product('DEMO-BACKORDER'));
        $this->assertNotNull($this->viewModel->shipDate($answer));
        [$ttl] = $plugin->beforeSetPublicHeaders($http, 86400);
        $this->assertLessThanOrEqual($midnight->secondsLeft(), $ttl);
        $this->assertGreaterThan(0, $ttl);
        $this->assertSame([min(60, $midnight->secondsLeft())], $plugin->beforeSetPublicHeaders($http, 60),
            'a shorter TTL stays');
    }
}
