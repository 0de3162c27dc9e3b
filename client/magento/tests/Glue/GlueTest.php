<?php

declare(strict_types=1);

namespace AvailabilityService\Tests\Glue;

use Availability\Client\Tests\Support\Stack;
use AvailabilityService\Cache\Console\Command\ConsumeEventsCommand;
use AvailabilityService\Cache\Model\CachePurger;
use AvailabilityService\GraphQl\Model\AnswerFormatter;
use AvailabilityService\GraphQl\Model\Resolver\ProductAvailabilityField;
use AvailabilityService\GraphQl\Model\Resolver\ProductAvailabilityQuery;
use Magento\Framework\App\ResourceConnection;
use Magento\Framework\Event\ManagerInterface;
use Magento\Framework\Exception\NoSuchEntityException;
use Magento\Framework\FlagManager;
use Magento\Framework\GraphQl\Config\Element\Field;
use Magento\Framework\GraphQl\Exception\GraphQlInputException;
use Magento\Framework\GraphQl\Query\Resolver\BatchRequestItemInterface;
use Magento\Framework\GraphQl\Query\Resolver\ContextInterface;
use Magento\Framework\GraphQl\Schema\Type\ResolveInfo;
use Magento\InventoryCache\Model\FlushCacheByCategoryIds;
use Magento\InventoryCache\Model\FlushCacheByProductIds;
use Magento\InventoryCatalogApi\Model\GetParentSkusOfChildrenSkusInterface;
use Magento\InventoryCatalogApi\Model\GetProductIdsBySkusInterface;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;
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
use Magento\Framework\App\DeploymentConfig;
use Magento\Framework\Encryption\EncryptorInterface;
use AvailabilityService\Core\Model\SubscriberId;
use AvailabilityService\ProductAlert\Model\RetryQueue;
use AvailabilityService\ProductAlert\Model\SubscriptionMirror;
use Magento\Framework\App\Response\Http;
use Magento\Framework\View\Layout;
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
 * stand-ins (tests/standins): listing, product page, cart, page TTL,
 * GraphQL resolvers, the event consumer. Call counts come from the
 * server's /metrics.
 */
final class GlueTest extends TestCase
{
    private static ?Stack $stack = null;
    private string $website = 'base';
    private AnswerRegistry $registry;
    private Config $config;
    private ScopeConfigInterface $scopeConfig;
    private LoggerInterface $logger;
    private StoreManagerInterface $storeManager;
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
            'sync_address' => self::$stack->syncAddress(),
            // Both stored encrypted, as Magento's Encrypted backend model
            // does (a read-only token suffices).
            'sync_token' => 'enc:' . self::$stack->readToken,
            'subscription_secret' => 'enc:' . self::$stack->subscriptionSecret,
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
        $this->scopeConfig = $scopeConfig;
        $this->logger = $logger;
        $this->storeManager = $storeManager;
        $config = $this->config = new Config($scopeConfig, self::encryptor());
        $this->registry = new AnswerRegistry();
        $this->lookup = new AvailabilityLookup($config, new ClientFactory($config, $logger), $this->registry, $storeManager);
        $this->viewModel = new ProductAvailability($this->lookup, $this->registry, new CollectionFactory(),
            self::timezone(), $this->createStub(UrlInterface::class));
    }

    public function websiteCode(): string
    {
        return $this->website;
    }

    /** Magento's encryptor as the Encrypted backend model stores: "enc:" + value. */
    private static function encryptor(): EncryptorInterface
    {
        return new class implements EncryptorInterface {
            public function decrypt($data)
            {
                return str_starts_with((string) $data, 'enc:') ? substr((string) $data, 4) : '';
            }
        };
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
        $http = new Http();
        $plugin = new EtaPageTtlPlugin($this->registry, $midnight, $http);
        $layout = new Layout();
        $ttl = static function () use ($http): int {
            preg_match('/s-maxage=(\d+)/', $http->getHeader('Cache-Control')->getFieldValue(), $m);
            return (int) $m[1];
        };
        // PageCache sets the public TTL before the blocks render.
        $http->setPublicHeaders(86400);
        $this->viewModel->forProduct(self::product('DEMO-INSTOCK-LOW'));
        $this->assertSame('<html></html>', $plugin->afterGetOutput($layout, '<html></html>'));
        $this->assertSame(86400, $ttl(), 'no date shown: TTL kept');

        $answer = $this->viewModel->forProduct(self::product('DEMO-BACKORDER'));
        $this->assertNotNull($this->viewModel->shipDate($answer));
        $plugin->afterGetOutput($layout, '<html></html>');
        $this->assertLessThanOrEqual($midnight->secondsLeft(), $ttl(), 'capped at the store\'s midnight');
        $this->assertGreaterThan(0, $ttl());

        $http->setPublicHeaders(60);
        $plugin->afterGetOutput($layout, '');
        $this->assertSame(min(60, $midnight->secondsLeft()), $ttl(), 'a shorter TTL stays');
        $http->setNoCacheHeaders();
        $plugin->afterGetOutput($layout, '');
        $this->assertStringStartsWith('no-store', $http->getHeader('Cache-Control')->getFieldValue(),
            'an uncacheable page stays uncacheable');
    }

    public function testGraphQlResolvesAResponsesProductsInOneBatch(): void
    {
        $skus = ['DEMO-SUCCESSOR', 'DEMO-DISCONTINUED', 'NO-SUCH-SKU'];
        $requests = array_map(static fn (string $sku) => new class (self::product($sku)) implements BatchRequestItemInterface {
            public function __construct(private ProductInterface $product)
            {
            }

            public function getValue(): ?array
            {
                return ['model' => $this->product];
            }
        }, $skus);
        $batches = self::$stack->calls('BatchGetAvailability');
        $resolver = new ProductAvailabilityField($this->lookup, new AnswerFormatter());
        $response = $resolver->resolve($this->createStub(ContextInterface::class), new Field(), $requests);
        $this->assertSame($batches + 1, self::$stack->calls('BatchGetAvailability'));
        $this->assertSame('IN_STOCK', $response->findResponseFor($requests[0])['status']);
        $discontinued = $response->findResponseFor($requests[1]);
        $this->assertSame('DISCONTINUED', $discontinued['status']);
        $this->assertSame('DEMO-SUCCESSOR', $discontinued['successor_sku']);
        $this->assertNull($response->findResponseFor($requests[2]), 'no answer: null, stock_status stays');

        $query = new ProductAvailabilityQuery($this->lookup, new AnswerFormatter());
        $live = $query->resolve(new Field(), null, new ResolveInfo(), null, ['skus' => ['DEMO-PREORDER']]);
        $this->assertSame('PREORDER', $live[0]['status']);
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\d$/', $live[0]['availability_eta']);
        $this->expectException(GraphQlInputException::class);
        $this->expectExceptionMessage('skus: between 1 and 20 SKUs');
        $query->resolve(new Field(), null, new ResolveInfo(), null, ['skus' => []]);
    }

    public function testEventConsumerPurgesWhatChangedAndResumes(): void
    {
        $sku = self::$stack->catalogSkus(1)[0];
        $productIds = new class ([$sku => 41, 'DEMO-OUT' => 42]) implements GetProductIdsBySkusInterface {
            public function __construct(private array $ids)
            {
            }

            public function execute(array $skus): array
            {
                $out = [];
                foreach ($skus as $s) {
                    if (!isset($this->ids[$s])) {
                        throw new NoSuchEntityException("unknown $s");
                    }
                    $out[$s] = $this->ids[$s];
                }
                return $out;
            }
        };
        $parents = new class implements GetParentSkusOfChildrenSkusInterface {
            public function execute(array $skus): array
            {
                return [];
            }
        };
        $byProduct = new FlushCacheByProductIds();
        $byCategory = new FlushCacheByCategoryIds();
        $purger = new CachePurger($productIds, $parents, $byProduct, $byCategory, new ResourceConnection([41 => [3, 7]]));
        $flags = new FlagManager();
        $events = new class implements ManagerInterface {
            public array $dispatched = [];

            public function dispatch($eventName, array $data = [])
            {
                $this->dispatched[] = $eventName;
            }
        };
        // Start from the newest event now, then make the SKU go out of stock.
        $tail = new \Availability\Client\Grpc\GrpcEventTail($this->config->syncClientConfig(), self::$stack->readToken);
        $start = $tail->tail(1, '0', static function (): void {
        }, 0.5);
        $flags->saveFlag('availability_service_events_after_1', $start);
        $file = self::$stack->dir . '/glue-change.jsonl';
        file_put_contents($file, json_encode(['sku' => $sku, 'stock_id' => 1, 'version' => PHP_INT_MAX >> 1,
            'source_quantity' => 0, 'backorders' => 'BACKORDERS_NO']) . "\n");
        self::$stack->cli('import', $file, '--token-file', self::$stack->dir . '/sync-token');

        $command = new ConsumeEventsCommand($this->config, $purger, $flags, $events);
        $input = new class (['stock' => '1', 'max-runtime' => '1.5', 'poll-seconds' => '1']) implements InputInterface {
            public function __construct(private array $options)
            {
            }

            public function getOption(string $name)
            {
                return $this->options[$name] ?? null;
            }
        };
        $output = new class implements OutputInterface {
            public array $lines = [];

            public function writeln($messages, int $options = 0)
            {
                $this->lines[] = $messages;
            }
        };
        $this->assertSame('availability:events:consume', $command->getName());
        $this->assertSame(0, $command->run($input, $output), implode("\n", $output->lines));
        $this->assertSame([41], $byProduct->purged);
        $this->assertSame([3, 7], $byCategory->purged);
        $this->assertNotSame($start, $flags->getFlagData('availability_service_events_after_1'), 'position saved');
        $this->assertContains('availability_service_consumer_tick', $events->dispatched);
        $this->assertContains('purged 1 SKUs (1 products)', $output->lines);
    }

    public function testBackInStockAlertIsMirroredWithTheSubscriberProof(): void
    {
        $products = new ProductResource([41 => 'DEMO-OUT', 42 => 'NO-SUCH-SKU']);
        $ids = new SubscriberId(new DeploymentConfig(['crypt/key' => 'glue-crypt-key']));
        $warnings = new \ArrayObject();
        $logger = new class ($warnings) implements LoggerInterface {
            public function __construct(private \ArrayObject $warnings)
            {
            }

            public function warning(string|\Stringable $message, array $context = []): void
            {
                $this->warnings->append((string) $message);
            }

            public function error(string|\Stringable $message, array $context = []): void
            {
                throw new \LogicException((string) $message);
            }
        };
        $mirror = function (Config $config, FlagManager $flags) use ($products, $ids, $logger): SubscriptionMirror {
            return new SubscriptionMirror(new ClientFactory($config, $logger), $config, $ids, $products,
                $this->storeManager, new RetryQueue($flags), $logger);
        };
        $flags = new FlagManager();
        $mirror($this->config, $flags)->mirror(true, 41, 7, 1);
        $this->assertSame([], $warnings->getArrayCopy());
        $this->assertSame([], $flags->flags, 'nothing queued for a retry');
        // The server holds it: the same subscription again is not new.
        $client = (new ClientFactory($this->config, $this->logger))->get();
        $this->assertFalse($client->subscribeBackInStock('DEMO-OUT', 'base', $ids->forCustomer(7, 1)));

        // An unknown SKU is refused for good: logged, not queued.
        $mirror($this->config, $flags)->mirror(true, 42, 7, 1);
        $this->assertStringContainsString('mirror refused', $warnings[0] ?? '');
        $this->assertStringContainsString('"NO-SUCH-SKU" is not known', $warnings[0] ?? '');
        $this->assertSame([], $flags->flags);

        // A shop whose secret is not the server's: refused, never queued.
        $wrong = new class ($this->scopeConfig) implements ScopeConfigInterface {
            public function __construct(private ScopeConfigInterface $inner)
            {
            }

            public function getValue($path, $scopeType = 'default', $scopeCode = null)
            {
                return str_ends_with($path, 'subscription_secret') ? 'enc:wrong' : $this->inner->getValue($path, $scopeType, $scopeCode);
            }

            public function isSetFlag($path, $scopeType = 'default', $scopeCode = null)
            {
                return $this->inner->isSetFlag($path, $scopeType, $scopeCode);
            }
        };
        $mirror(new Config($wrong, self::encryptor()), $flags)->mirror(true, 41, 8, 1);
        $this->assertStringContainsString('subscriber_proof: does not match', $warnings[1] ?? '');
        $this->assertStringNotContainsString(self::$stack->subscriptionSecret, implode("\n", $warnings->getArrayCopy()));
        $this->assertSame([], $flags->flags);
    }
}
