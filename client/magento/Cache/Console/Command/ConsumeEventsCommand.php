<?php
/**
 * bin/magento availability:events:consume --stock=ID [--max-runtime=S]
 * Follows the server's inventory events (TailEvents on the sync listener,
 * sync token from the configuration) and purges the page cache of the
 * products and categories that changed; resumes after the last event it
 * handled (kept in a flag per stock). One process, no fork (the gRPC
 * extension hangs in a forked child); run it under a supervisor or cron
 * with --max-runtime. Each loop dispatches availability_service_consumer_tick
 * (ProductAlert replays failed mirrors on it).
 */

declare(strict_types=1);

namespace AvailabilityService\Cache\Console\Command;

use Availability\Client\AvailabilityException;
use Availability\Client\Grpc\GrpcEventTail;
use Availability\Client\InventoryEvent;
use AvailabilityService\Cache\Model\CachePurger;
use AvailabilityService\Core\Model\Config;
use Magento\Framework\Event\ManagerInterface;
use Magento\Framework\FlagManager;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

class ConsumeEventsCommand extends Command
{
    private const FLAG_PREFIX = 'availability_service_events_after_';
    /** Events that change what a page shows (LOW_STOCK is for the merchant). */
    private const PURGING = ['BACK_IN_STOCK', 'OUT_OF_STOCK', 'BACKORDER_STARTED', 'ETA_CHANGED', 'DISCONTINUED'];

    public function __construct(
        private readonly Config $config,
        private readonly CachePurger $purger,
        private readonly FlagManager $flagManager,
        private readonly ManagerInterface $eventManager,
    ) {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName('availability:events:consume')
            ->setDescription('Purge the page cache of products whose availability changed on the server')
            ->addOption('stock', null, InputOption::VALUE_REQUIRED, 'Stock id to follow (>= 1)')
            ->addOption('max-runtime', null, InputOption::VALUE_REQUIRED, 'Stop after this many seconds (0: never)', '0')
            ->addOption('poll-seconds', null, InputOption::VALUE_REQUIRED, 'Length of one tail call', '30');
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $stockId = (int) $input->getOption('stock');
        if ($stockId < 1) {
            $output->writeln('<error>--stock: must be a stock id >= 1</error>');
            return Command::INVALID;
        }
        $token = $this->config->syncToken();
        if ($token === '') {
            $output->writeln('<error>availability_service/general/sync_token: not set</error>');
            return Command::FAILURE;
        }
        try {
            $tail = new GrpcEventTail($this->config->syncClientConfig(), $token);
        } catch (\InvalidArgumentException $e) {
            $output->writeln('<error>availability_service/general: ' . $e->getMessage() . '</error>');
            return Command::FAILURE;
        }
        $maxRuntime = (float) $input->getOption('max-runtime');
        $poll = max(1.0, (float) $input->getOption('poll-seconds'));
        $stop = $maxRuntime > 0 ? microtime(true) + $maxRuntime : INF;
        $flag = self::FLAG_PREFIX . $stockId;
        $after = (string) ($this->flagManager->getFlagData($flag) ?? '');
        while (microtime(true) < $stop) {
            $skus = [];
            try {
                $last = $tail->tail($stockId, $after, function (InventoryEvent $event) use (&$skus): void {
                    if (in_array($event->type, self::PURGING, true)) {
                        $skus[$event->sku] = true;
                    }
                }, min($poll, max(1.0, $stop - microtime(true))));
            } catch (AvailabilityException $e) {
                $output->writeln('<error>TailEvents: ' . $e->getMessage() . '</error>');
                sleep(1);
                continue;
            }
            if ($skus !== []) {
                $ids = $this->purger->purge(array_keys($skus));
                $output->writeln(sprintf('purged %d SKUs (%d products)', count($skus), count($ids)));
            }
            if ($last !== $after) {
                $after = $last;
                $this->flagManager->saveFlag($flag, $after);
            }
            $this->eventManager->dispatch('availability_service_consumer_tick', ['stock_id' => $stockId]);
        }
        return Command::SUCCESS;
    }
}
